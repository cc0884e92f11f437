{#- on-run-start hook (DuckDB): every source's landed files hold the columns its _<source>__sources.yml
    declares. Without it a missing column surfaces as a binder error naming neither the source nor the file.
    The files are those landing_files names, in the source's landing_format (Parquet or CSV). A source whose
    files are absent is left to the model reading it (DuckDB names the path). -#}
{% macro check_landing_columns() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set problems = [] -%}
    {%- for source_node in graph.sources.values() if source_node.package_name == project_name -%}
        {%- set location = landing_files(source_node.source_name, source_node.name) -%}
        {%- set file_count = landing_file_count(location) -%}
        {%- if file_count > 0 -%}
            {%- set missing = missing_landing_columns(source_node) -%}
            {%- if missing -%}
                {%- do problems.append(
                    'source ' ~ source_node.source_name ~ '.' ~ source_node.name ~ ': '
                    ~ ('file ' if file_count == 1 else 'no file of ') ~ location
                    ~ (' lacks' if file_count == 1 else ' has') ~ ' column(s) ' ~ missing | join(', ')) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(problems | join('; ')
            ~ ' (the columns are declared in models/staging/<source>/_<source>__sources.yml)') }}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}


{% macro landing_file_count(location) %}
    {{- return(run_query('select count(*) from glob(' ~ dbt.string_literal(location) ~ ')').columns[0].values()[0]) -}}
{% endmacro %}


{#- The declared columns of a source (other than the reader's own filename / file_row_number) that its landed
    files lack, in declaration order; names compare case-insensitively, as DuckDB binds them. -#}
{% macro missing_landing_columns(source_node) %}
    {%- set files = dbt.string_literal(landing_files(source_node.source_name, source_node.name)) -%}
    {%- set options = ', union_by_name = true'
        ~ (', hive_partitioning = true' if landing_is_partitioned(source_node.source_name, source_node.name) else '') -%}
    {%- set reader = 'read_csv(' ~ files ~ options ~ ', all_varchar = true)'
        if landing_format(source_node.source_name) == 'csv'
        else 'read_parquet(' ~ files ~ options ~ ')' -%}
    {%- set landed = run_query('describe select * from ' ~ reader).columns[0].values() | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in source_node.columns.keys() if column not in ('filename', 'file_row_number') -%}
        {%- if column | lower not in landed -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(missing) -}}
{% endmacro %}
