{#- Sources a shop does not have (no help desk, no experiments): TAILOR_ABSENT_SOURCES lists them, comma or
    space separated (`TAILOR_ABSENT_SOURCES=support,experiments`). Every read of such a source, in models and
    in tests, gets an empty relation with the source's documented columns instead of its files, so its
    staging models build empty with the same columns and everything downstream builds. `tailor check` reads
    the same variable and skips those sources. -#}

{#- The source names listed in TAILOR_ABSENT_SOURCES. -#}
{% macro landing_absent_sources() -%}
    {{- return((env_var('TAILOR_ABSENT_SOURCES', '') | replace(',', ' ') | lower).split()) -}}
{%- endmacro %}


{#- An empty relation with the documented columns of source `source_name`.`table_name` (its
    _<source>__sources.yml, which a test keeps equal to the landing contract), typed as a CSV export lands:
    text, with the Parquet reader's bigint file_row_number. source() in landing.sql returns it. -#}
{% macro landing_absent_relation(source_name, table_name) -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set columns = [] -%}
    {%- for column in node.columns -%}
        {%- set data_type = dbt.type_bigint() if column == 'file_row_number' else dbt.type_string() -%}
        {%- do columns.append('cast(null as ' ~ data_type ~ ') as ' ~ adapter.quote(column)) -%}
    {%- endfor -%}
    {{- return('(select ' ~ columns | join(', ') ~ ' where false)') -}}
{%- endmacro %}
