{#- No raw PII past staging: the relation has no column named like raw PII (`raw_pii_column_names()`:
    email, phone, first_name, birthdate, ip, city, ...) and no text value matching an email or phone
    pattern (`pii_value_patterns()`). Apply it to every mart; the singular test
    tests/singular/privacy/assert_person_level_models_are_erasure_tested.sql fails for a mart without it.

        data_tests:
          - no_raw_pii

    Text and list-of-text columns are scanned in full; each pattern is checked by `pii_value_matches()`
    (its marker first, where it has one). Fails with one row per offending column
    (failure, column_name, pattern, row_count); the values themselves are never shown. -#}
{% test no_raw_pii(model) %}
{%- set forbidden_names = raw_pii_column_names() -%}
{%- set patterns = pii_value_patterns() -%}
{%- set checks = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- if column.name | lower in forbidden_names -%}
            {%- do checks.append({'failure': 'raw PII column name', 'column': column.name | lower, 'pattern': none}) -%}
        {%- endif -%}
        {%- if column.is_string() or 'VARCHAR' in column.data_type | upper or 'TEXT' in column.data_type | upper -%}
            {%- for pattern_name in patterns -%}
                {%- do checks.append({
                    'failure': 'raw PII value',
                    'column': column.name,
                    'pattern': pattern_name,
                    'condition': pii_value_matches('cast(checked_model."' ~ column.name ~ '" as string)', pattern_name),
                }) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

failures as (
    {% for check in checks %}
    {% if check.pattern %}
    select
        '{{ check.failure }}' as failure,
        '{{ check.column }}' as column_name,
        '{{ check.pattern }}' as pattern,
        count(*) as row_count
    from {{ model }} as checked_model
    where {{ check.condition }}
    having count(*) > 0
    {% else %}
    select
        '{{ check.failure }}' as failure,
        '{{ check.column }}' as column_name,
        cast(null as string) as pattern,
        0 as row_count
    {% endif %}
    union all
    {% endfor %}
    select
        cast(null as string) as failure,
        cast(null as string) as column_name,
        cast(null as string) as pattern,
        0 as row_count
    where false
)

select * from failures

{% endtest %}
