{#- dbt's built-in `unique` test, for DuckDB: the values are grouped by their 64-bit hash first
    (`repeated_key_hashes`, as `number_copies` does), far cheaper than grouping long text keys: the hash
    table holds eight bytes a row instead of every key, so a large table's check no longer spills to disk.
    Only the values of a repeated hash (a real duplicate, or a collision) are then grouped by value, so the
    result is exactly the built-in test's: each value held by more than one row, with its count. Other
    warehouses keep dbt's own implementation. -#}
{% macro duckdb__test_unique(model, column_name) -%}
with repeated_hashes as (
    {{ repeated_key_hashes(model, column_name) }}
)

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    and hash({{ column_name }}) in (select repeated_hashes.key_hash from repeated_hashes)
group by {{ column_name }}
having count(*) > 1
{%- endmacro %}
