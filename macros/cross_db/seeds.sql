{#- Spark: a seed is read by Spark's own CSV reader, then cast to its column types. dbt-spark's session
    connection pastes the values agate parsed between plain quotes (a quote inside a value, "cote d'ivoire",
    breaks the insert), and agate turns the text 'null' and 'none' into nulls, which the identity
    blocklist lists as placeholder values. Spark's reader, like DuckDB's, reads only empty fields as null. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set view = this.identifier ~ '__seed_rows' -%}
    {%- do adapter.add_query(
        'create or replace temporary view ' ~ view ~ ' using csv options (path '
        ~ spark_string_literal(path) ~ ', header \'true\', multiLine \'true\', escape \'"\')',
        auto_begin=False
    ) -%}
    {%- set sql -%}
        insert into {{ this.render() }}
        select
            {%- for col_name in agate_table.column_names %}
            cast({{ adapter.quote(col_name) }} as {{ column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) }})
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ view }}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
