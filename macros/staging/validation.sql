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


{#- The rows of `relation` numbered by copy: copy_number 1 for the first copy of each key in `order_by`
    order, 2, 3, ... for later copies (the duplicates); rows without a key get 1, as they fail the
    missing-key check instead. Repeated keys are rare (delivery retries, re-extracts), so only their rows
    go through the window: sorting every row by its key would be the costliest step of the view. `relation`
    is read three times; declare it (and the import CTE it reads) {{ not_materialized() }} so DuckDB streams
    it instead of copying it. -#}
{% macro number_copies(relation, key, order_by) -%}
    with repeated_keys as {{ materialized() }} (
        select {{ key }}
        from {{ relation }}
        where {{ key }} is not null
        group by {{ key }}
        having count(*) > 1
    )

    select
        {{ relation }}.*,
        1 as copy_number
    from {{ relation }}
    left join repeated_keys
        on {{ relation }}.{{ key }} = repeated_keys.{{ key }}
    where repeated_keys.{{ key }} is null

    union all

    select
        {{ relation }}.*,
        row_number() over (partition by {{ relation }}.{{ key }} order by {{ order_by }}) as copy_number
    from {{ relation }}
    inner join repeated_keys
        on {{ relation }}.{{ key }} = repeated_keys.{{ key }}
{%- endmacro %}
