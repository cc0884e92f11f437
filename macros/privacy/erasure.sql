{#- Right to erasure: the predicates and hooks that keep erased persons out of every stored model.
    Who is erased is decided once, in int_persons_erased and int_erasure_tombstones; everything here reads
    those two models, so a model calling these macros depends on them. -#}

{#- How an erasure request names an identifier, mapped to the identifier type the identity graph uses. -#}
{% macro erasure_identifier_type(expr) -%}
    case when {{ expr }} = 'email' then 'email_hash' else {{ expr }} end
{%- endmacro %}


{#- True when `column` holds a tombstoned identifier of `identifier_type`: an identifier of an erased person
    (or one named by an erasure request). Never null, so `not {{ is_tombstoned(...) }}` keeps rows whose
    identifier is missing. `tombstones` is the name of a CTE or relation selecting int_erasure_tombstones. -#}
{% macro is_tombstoned(column, identifier_type, tombstones='tombstones') -%}
    coalesce({{ column }} in (
        select {{ tombstones }}.identifier_value from {{ tombstones }}
        where {{ tombstones }}.identifier_type = '{{ identifier_type }}'
    ), false)
{%- endmacro %}


{#- True when `column` holds the person_id of an erased person; never null. `erased_persons` is the name of
    a CTE or relation selecting int_persons_erased. -#}
{% macro is_erased_person(column, erased_persons='erased_persons') -%}
    coalesce({{ column }} in (select {{ erased_persons }}.person_id from {{ erased_persons }}), false)
{%- endmacro %}


{#- A post-hook statement for incremental models and snapshots: rows stored by an earlier run survive a
    filter on new data, so rows of erased persons are deleted in place after every run.
    `person_columns`: columns holding a person_id; `identifier_columns`: {column: identifier_type}.

        post_hook="{{ delete_erased_rows(person_columns=['person_id'],
                                         identifier_columns={'anonymous_id': 'anonymous_id'}) }}" -#}
{% macro delete_erased_rows(person_columns=[], identifier_columns={}) -%}
    {%- set conditions = [] -%}
    {%- for column in person_columns -%}
        {%- do conditions.append(column ~ ' in (select person_id from ' ~ ref('int_persons_erased') ~ ')') -%}
    {%- endfor -%}
    {%- for column, identifier_type in identifier_columns.items() -%}
        {%- do conditions.append(
            column ~ ' in (select identifier_value from ' ~ ref('int_erasure_tombstones')
            ~ " where identifier_type = '" ~ identifier_type ~ "')"
        ) -%}
    {%- endfor -%}
    {%- if not conditions -%}
        {{ exceptions.raise_compiler_error('delete_erased_rows needs at least one person or identifier column') }}
    {%- endif -%}
    {{ delete_rows_where(this, conditions | join(' or ')) }}
{%- endmacro %}
