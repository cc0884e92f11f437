{#- Erasure reached this model: it holds no row of an erased person. Apply it to every model and snapshot
    tagged `person_level` (or `identifier_level`); the singular test
    tests/singular/privacy/assert_person_level_models_are_erasure_tested.sql fails for one that lacks it.

        data_tests:
          - no_erased_persons                       # checks person_id plus any identifier column
          - no_erased_persons:
              arguments:
                person_columns: [experiment_unit_id]  # where the person sits in another column
          - no_erased_persons:
              arguments:
                person_columns: []                    # identifier-level: raw identifiers, no person yet

    Checks, on the built relation:
    - each of `person_columns` (default: person_id) exists and holds no person of int_persons_erased;
    - each identifier column holds no identifier of int_erasure_tombstones. `identifier_columns` maps column
      to identifier type; by default it is detected by name (user_id and customer_id: user_id, anonymous_id,
      email_hash, crm_contact_id and contact_id: crm_contact_id), and so are `<prefix>type` /
      `<prefix>value` pairs (identifier_, left_, right_).
    Fails with one row per offending value (failure, column_name, erased_value, row_count), or a
    'missing person column' row when a person column does not exist. -#}
{% test no_erased_persons(model, person_columns=['person_id'], identifier_columns=none) %}
{%- set known_identifier_columns = {
    'user_id': 'user_id',
    'customer_id': 'user_id',
    'anonymous_id': 'anonymous_id',
    'email_hash': 'email_hash',
    'crm_contact_id': 'crm_contact_id',
    'contact_id': 'crm_contact_id',
} -%}
{%- set columns = [] -%}
{%- if execute and model is string -%}
    {#- a `where` config made the model dbt's subquery: its columns come from an empty run of it -#}
    {%- for column in get_columns_in_query('select * from ' ~ model) -%}
        {%- do columns.append(column | lower) -%}
    {%- endfor -%}
{%- elif execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- do columns.append(column.name | lower) -%}
    {%- endfor -%}
{%- endif -%}
{%- set checked_identifiers = {} -%}
{%- if identifier_columns is none -%}
    {%- for column, identifier_type in known_identifier_columns.items() if column in columns -%}
        {%- do checked_identifiers.update({column: identifier_type}) -%}
    {%- endfor -%}
{%- else -%}
    {%- do checked_identifiers.update(identifier_columns) -%}
{%- endif -%}
{%- set checks = [] -%}
{%- for column in person_columns -%}
    {%- do checks.append({
        'failure': 'erased person' if column | lower in columns or not execute else 'missing person column',
        'column': column,
        'against': 'erased_persons',
        'condition': 'cast(checked_model.' ~ column ~ ' as string) = erased_persons.person_id',
    }) -%}
{%- endfor -%}
{%- for column, identifier_type in checked_identifiers.items() -%}
    {%- do checks.append({
        'failure': 'erased identifier',
        'column': column,
        'against': 'tombstones',
        'condition': 'cast(checked_model.' ~ column ~ ' as string) = tombstones.identifier_value'
            ~ " and tombstones.identifier_type = '" ~ identifier_type ~ "'",
    }) -%}
{%- endfor -%}
{%- for prefix in ['identifier_', 'left_', 'right_'] if prefix ~ 'type' in columns and prefix ~ 'value' in columns -%}
    {%- do checks.append({
        'failure': 'erased identifier',
        'column': prefix ~ 'value',
        'against': 'tombstones',
        'condition': 'cast(checked_model.' ~ prefix ~ 'value as string) = tombstones.identifier_value'
            ~ ' and cast(checked_model.' ~ prefix ~ 'type as string) = tombstones.identifier_type',
    }) -%}
{%- endfor -%}
{#- dbt's subquery (a `where` config) carries its own alias: wrapped, it takes this test's -#}
{%- set checked_relation = '(select * from ' ~ model ~ ')' if model is string else model -%}
{%- if not checks and execute -%}
    {%- do checks.append({'failure': 'nothing to check', 'column': none}) -%}
{%- endif %}

with

erased_persons as (
    select * from {{ ref('int_persons_erased') }}
),

tombstones as (
    select * from {{ ref('int_erasure_tombstones') }}
),

failures as (
    {% for check in checks %}
    {% if check.failure in ['erased person', 'erased identifier'] %}
    select
        '{{ check.failure }}' as failure,
        '{{ check.column }}' as column_name,
        cast(checked_model.{{ check.column }} as string) as erased_value,
        count(*) as row_count
    from {{ checked_relation }} as checked_model
    inner join {{ check.against }}
        on {{ check.condition }}
    group by checked_model.{{ check.column }}
    {% else %}
    select
        '{{ check.failure }}' as failure,
        '{{ check.column }}' as column_name,
        cast(null as string) as erased_value,
        0 as row_count
    {% endif %}
    union all
    {% endfor %}
    select
        cast(null as string) as failure,
        cast(null as string) as column_name,
        cast(null as string) as erased_value,
        0 as row_count
    where false
)

select * from failures

{% endtest %}
