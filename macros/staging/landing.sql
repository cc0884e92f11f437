{#- How a source's raw files are read. Formats are chosen per source with TAILOR_FORMAT_<SOURCE>
    (parquet, the default, or csv). Every source() call goes through landing_relation below, so the
    _<source>__sources.yml files hold no reading code and each engine reads the landing folder its own way. -#}

{#- The landing file format of one source: 'parquet' or 'csv'. -#}
{% macro landing_format(source_name) -%}
    {%- set format = env_var('TAILOR_FORMAT_' ~ source_name | upper, 'parquet') | trim | lower -%}
    {%- if format not in ('parquet', 'csv') -%}
        {{- exceptions.raise_compiler_error(
            'TAILOR_FORMAT_' ~ source_name | upper ~ ' must be parquet or csv, got ' ~ format
        ) -}}
    {%- endif -%}
    {{- return(format) -}}
{%- endmacro %}


{#- The landing root folder (TAILOR_LANDING). -#}
{% macro landing_root() -%}
    {{- return(env_var('TAILOR_LANDING', 'data/landing/sample') | trim) -}}
{%- endmacro %}


{#- True for a stream landed in arrival-date partitions (the table's `meta.landing_partitioned_by` in its
    _<source>__sources.yml names the partition column, dt). -#}
{% macro landing_is_partitioned(source_name, table_name) -%}
    {%- set node = graph.sources.get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
    {{- return(node is not none and node.meta.get('landing_partitioned_by') is not none) -}}
{%- endmacro %}


{#- The files of one landing table, as a glob: <root>/<source>/<table>/<table>.<format>, or
    <root>/<source>/<table>/dt=*/*.<format> for a partitioned stream (the layout of tailor.landing). -#}
{% macro landing_files(source_name, table_name) -%}
    {%- set format = landing_format(source_name) -%}
    {%- set folder = landing_root() ~ '/' ~ source_name ~ '/' ~ table_name -%}
    {%- if landing_is_partitioned(source_name, table_name) -%}
        {{- return(folder ~ '/dt=*/*.' ~ format) -}}
    {%- endif -%}
    {{- return(folder ~ '/' ~ table_name ~ '.' ~ format) -}}
{%- endmacro %}


{#- source() for every model and test of the project: the source's relation, read from the landing
    folder by the engine's landing_relation; an empty relation for a source declared absent
    (macros/staging/absent_sources.sql). -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if not execute -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- if source_name | lower in landing_absent_sources() -%}
        {{- return(landing_absent_relation(source_name, table_name)) -}}
    {%- endif -%}
    {{- return(landing_relation(relation, source_name, table_name)) -}}
{%- endmacro %}


{#- How an engine reads one landing table: the relation (or reader) that source() returns. -#}
{% macro landing_relation(relation, source_name, table_name) -%}
    {{- return(adapter.dispatch('landing_relation', 'tailor')(relation, source_name, table_name)) -}}
{%- endmacro %}


{#- Other engines: the source's own relation (external tables created up front). -#}
{% macro default__landing_relation(relation, source_name, table_name) -%}
    {{- return(relation) -}}
{%- endmacro %}


{#- DuckDB reads the files in place, with the file name and (Parquet) the row within the file. CSV is read
    as text (staging casts), with a null file_row_number so both formats have the same columns. -#}
{% macro duckdb__landing_relation(relation, source_name, table_name) -%}
    {%- set files = landing_files(source_name, table_name) -%}
    {%- set hive = 'hive_partitioning = true, ' if landing_is_partitioned(source_name, table_name) else '' -%}
    {%- if landing_format(source_name) == 'csv' -%}
        {%- set reader -%}
            (select *, cast(null as bigint) as file_row_number
            from read_csv('{{ files }}', {{ hive }}union_by_name = true, all_varchar = true, filename = true))
        {%- endset -%}
    {%- else -%}
        {%- set reader -%}
            read_parquet('{{ files }}', {{ hive }}union_by_name = true, filename = true, file_row_number = true)
        {%- endset -%}
    {%- endif -%}
    {{- return(relation.incorporate(external=reader)) -}}
{%- endmacro %}


{#- Spark reads the Parquet files in place through its file source: the folder of a partitioned stream (the
    dt=YYYY-MM-DD folders become a date column) or the one file, with the file's path and the row within it
    from the hidden _metadata column. CSV needs a header option that path queries cannot pass: on Spark,
    land CSV sources as Parquet or define them as external tables. -#}
{% macro spark__landing_relation(relation, source_name, table_name) -%}
    {%- if landing_format(source_name) == 'csv' -%}
        {{- exceptions.raise_compiler_error(
            'TAILOR_FORMAT_' ~ source_name | upper ~ '=csv is not read on Spark: land ' ~ source_name ~ '.'
            ~ table_name ~ ' as Parquet, or create it as an external table with a header option'
        ) -}}
    {%- endif -%}
    {%- set files = landing_files(source_name, table_name) -%}
    {%- if landing_is_partitioned(source_name, table_name) -%}
        {%- set files = files.split('/dt=')[0] -%}
    {%- endif -%}
    {%- set reader -%}
        (select *, _metadata.file_path as filename, _metadata.row_index as file_row_number
        from parquet.`{{ files }}`)
    {%- endset -%}
    {{- return(reader) -}}
{%- endmacro %}


{#- Order-by keys giving the order the rows of `relation` (a CTE over the raw source) were landed in: file,
    then row within the file. Parquet readers expose the row number; CSV readers do not, so ties within a
    CSV file fall back to the whole raw row, which keeps the order deterministic when the copies differ
    and irrelevant when they do not. -#}
{% macro landing_row_order(source_name, relation) -%}
    {%- if landing_format(source_name) == 'csv' -%}
        {{ relation }}.filename, {{ relation }}
    {%- else -%}
        {{ relation }}.filename, {{ relation }}.file_row_number
    {%- endif -%}
{%- endmacro %}


{#- The landed columns of a source table as (landed name, SQL expression) pairs, in the order its
    _<source>__sources.yml documents them (the reader's own filename, file_row_number and dt left out): what
    a base model keeps of a landed row as its raw_record. `expressions` replaces a column's expression (a
    pseudonymized PII column); `prefix` reads the columns under prefixed names (raw__event_id). -#}
{% macro landed_fields(source_name, table_name, expressions={}, prefix='') -%}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set fields = [] -%}
    {%- for column in node.columns.values() if column.name not in ('filename', 'file_row_number', 'dt') -%}
        {%- do fields.append((column.name, expressions.get(column.name, prefix ~ column.name))) -%}
    {%- endfor -%}
    {%- for name in expressions if name not in node.columns -%}
        {{- exceptions.raise_compiler_error(
            'landed_fields: ' ~ source_name ~ '.' ~ table_name ~ ' documents no column ' ~ name
        ) -}}
    {%- endfor -%}
    {{- return(fields) -}}
{%- endmacro %}


{#- The landed columns kept under prefixed names (`"id" as raw__id`, ...), a select list's last items: base
    models that clean a column under its landed name keep the landed value for the raw_record this way. -#}
{% macro landed_columns_prefixed(source_name, table_name, prefix='raw__', except=[]) -%}
    {%- for name, expression in landed_fields(source_name, table_name) if name not in except -%}
        {{ adapter.quote(name) }} as {{ prefix ~ name }}{{ ",\n        " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
