{#- How a source's raw files are read. Formats are chosen per source with TAILOR_FORMAT_<SOURCE>
    (parquet, the default, or csv); _<source>__sources.yml reads the same variable. -#}

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
