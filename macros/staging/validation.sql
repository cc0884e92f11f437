{#- The building blocks of the shared validation in each base_<source>__<entity>s model. -#}

{#- An identifier or free-text value as landed, trimmed of whitespace; null when blank. -#}
{% macro clean_text(expr) -%}
    nullif({{ trim_whitespace(expr) }}, '')
{%- endmacro %}


{#- The quarantine reason of a row: the first of the (reason, condition) pairs whose condition is true,
    in the order given; null when none is, which means the row is clean. One place for the precedence. -#}
{% macro quarantine_reason(checks) -%}
    case
        {%- for reason, condition in checks %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end
{%- endmacro %}


{#- True for every copy of a key after the first in landing order, the copies to quarantine as duplicates.
    Rows without a key are never duplicates: they fail the missing-key check first. -#}
{% macro is_later_copy(key, order_by) -%}
    ({{ key }} is not null and row_number() over (partition by {{ key }} order by {{ order_by }}) > 1)
{%- endmacro %}
