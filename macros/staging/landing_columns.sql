{#- on-run-start hook: every source's landed files hold the columns its _<source>__sources.yml declares.
    Without it a missing column surfaces as a binder error naming neither the source nor the file. The
    relation each source renders to is described, so any format its external_location reads (Parquet, CSV)
    is covered. A source whose files are absent is left to the model reading it (DuckDB names the path). -#}
{% macro check_landing_columns() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set problems = [] -%}
    {%- for source_node in graph.sources.values() if source_node.package_name == project_name -%}
        {%- set location = landing_location_path(source_node.relation_name) -%}
        {%- set file_count = landing_file_count(location) if location else 0 -%}
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


{#- The file path (or glob) a source's relation reads: the first quoted string of its reader call. -#}
{% macro landing_location_path(relation_sql) %}
    {%- set found = modules.re.search("'((?:[^']|'')*)'", relation_sql) -%}
    {{- return(found.group(1) if found else none) -}}
{% endmacro %}


{% macro landing_file_count(location) %}
    {{- return(run_query('select count(*) from glob(' ~ dbt.string_literal(location) ~ ')').columns[0].values()[0]) -}}
{% endmacro %}


{#- The declared columns of a source (other than the reader's own filename / file_row_number) that its landed
    files lack, in declaration order; names compare case-insensitively, as DuckDB binds them. -#}
{% macro missing_landing_columns(source_node) %}
    {%- set landed = run_query('describe select * from ' ~ source_node.relation_name).columns[0].values()
        | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in source_node.columns.keys() if column not in ('filename', 'file_row_number') -%}
        {%- if column | lower not in landed -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(missing) -}}
{% endmacro %}
