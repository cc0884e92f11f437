{#- The value of `expr` on the row with the smallest `order_by` (a list of expressions, compared left to
    right) among the group's rows where `condition` holds: the landing page of a session, for instance.
    An aggregate, so it needs no window and no join back to the group. -#}
{% macro value_at_min(expr, order_by, condition='true') %}
    {{- return(adapter.dispatch('value_at_min', 'tailor')(expr, order_by, condition)) -}}
{% endmacro %}

{#- DuckDB: arg_min_null over a row value, so later expressions break ties and a null value on the first
    row is returned as null (arg_min would skip to the next row). -#}
{% macro duckdb__value_at_min(expr, order_by, condition) -%}
    arg_min_null({{ expr }}, ({{ order_by | join(', ') }})) filter (where {{ condition }})
{%- endmacro %}

{#- ANSI (Postgres, Snowflake): the first element of the ordered array. -#}
{% macro default__value_at_min(expr, order_by, condition) -%}
    (array_agg({{ expr }} order by {{ order_by | join(', ') }}) filter (where {{ condition }}))[1]
{%- endmacro %}


{#- A 64-bit hash of a list of columns, to lead a partition or sort key ahead of the long texts it stands for
    (which still follow it, so a collision never merges two groups). -#}
{% macro stream_hash(columns) %}
    {{- return(adapter.dispatch('stream_hash', 'tailor')(columns)) -}}
{% endmacro %}

{% macro duckdb__stream_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- Elsewhere the texts alone: correct, without the shortcut. -#}
{% macro default__stream_hash(columns) -%}
    {{ columns | join(', ') }}
{%- endmacro %}
