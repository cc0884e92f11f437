{#- Text helpers whose functions differ between warehouses. -#}

{#- Hex-encoded SHA-256 digest of a text value. -#}
{% macro sha256_hex(expr) %}
    {{- return(adapter.dispatch('sha256_hex', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro postgres__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro bigquery__sha256_hex(expr) -%}
    to_hex(sha256({{ expr }}))
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}


{#- Split delimited text into an array of trimmed, non-empty parts. -#}
{% macro split_to_array(expr, delimiter) %}
    {{- return(adapter.dispatch('split_to_array', 'tailor')(expr, delimiter)) -}}
{% endmacro %}

{% macro duckdb__split_to_array(expr, delimiter) -%}
    list_filter(
        list_transform(string_split({{ expr }}, '{{ delimiter }}'), lambda part: trim(part)),
        lambda part: part != ''
    )
{%- endmacro %}

{% macro default__split_to_array(expr, delimiter) -%}
    split({{ expr }}, '{{ delimiter }}')
{%- endmacro %}

{#- Spark: split takes a regex, so the delimiter is quoted; parts trimmed, empty ones dropped. -#}
{% macro spark__split_to_array(expr, delimiter) -%}
    filter(
        transform(split({{ expr }}, {{ spark_string_literal('\\Q' ~ delimiter ~ '\\E') }}), part -> trim(part)),
        part -> part != ''
    )
{%- endmacro %}


{#- Text with accents removed ('España' -> 'Espana'), for matching free-text names. -#}
{% macro remove_diacritics(expr) %}
    {{- return(adapter.dispatch('remove_diacritics', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__remove_diacritics(expr) -%}
    strip_accents({{ expr }})
{%- endmacro %}

{% macro default__remove_diacritics(expr) -%}
    {{ expr }}
{%- endmacro %}

{#- Spark has no accent folding: the Latin letters with diacritics that names and countries use, mapped. -#}
{% macro spark__remove_diacritics(expr) -%}
    translate(
        {{ expr }},
        'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŠšŽžČčĆćŁłŃńŚśŹźŻżŘřŤťĎďŇňĚěŮů',
        'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyySsZzCcCcLlNnSsZzZzRrTtDdNnEeUu'
    )
{%- endmacro %}


{#- Text without leading and trailing whitespace: spaces, tabs and line breaks (plain trim() removes only
    spaces on some warehouses). -#}
{% macro trim_whitespace(expr) %}
    {{- return(adapter.dispatch('trim_whitespace', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__trim_whitespace(expr) -%}
    {#- trim() is slow on long columns; most values need none, so only those that do are trimmed -#}
    case
        when {{ expr }}[1] in (' ', chr(9), chr(10), chr(13)) or {{ expr }}[-1] in (' ', chr(9), chr(10), chr(13))
            then trim({{ expr }}, ' ' || chr(9) || chr(10) || chr(13))
        else {{ expr }}
    end
{%- endmacro %}

{% macro default__trim_whitespace(expr) -%}
    trim({{ expr }})
{%- endmacro %}

{#- Spark's trim() removes spaces only. -#}
{% macro spark__trim_whitespace(expr) -%}
    regexp_replace({{ expr }}, {{ spark_string_literal('^[ \\t\\n\\r]+|[ \\t\\n\\r]+$') }}, '')
{%- endmacro %}


{#- CTE materialization hints: `with x as {{ not_materialized() }} (...)`. DuckDB copies a CTE that is read
    more than once into memory by default; a CTE over a large scan should stream instead. Warehouses
    without the hint get nothing. -#}
{% macro not_materialized() %}
    {{- return(adapter.dispatch('not_materialized', 'tailor')()) -}}
{% endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro postgres__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro materialized() %}
    {{- return(adapter.dispatch('materialized', 'tailor')()) -}}
{% endmacro %}

{% macro duckdb__materialized() -%}
    materialized
{%- endmacro %}

{% macro postgres__materialized() -%}
    materialized
{%- endmacro %}

{% macro default__materialized() -%}
{%- endmacro %}


{#- A column name quoted as the engine quotes identifiers ("timestamp" on DuckDB, `timestamp` on Spark, where
    a double-quoted word is a string): for landed columns named like keywords. -#}
{% macro quote_identifier(name) -%}
    {{ adapter.quote(name) }}
{%- endmacro %}


{#- The SQL type of an array of `element_type` values: `string[]` on DuckDB, `array<string>` on Spark. -#}
{% macro array_type(element_type) %}
    {{- return(adapter.dispatch('array_type', 'tailor')(element_type)) -}}
{% endmacro %}

{% macro duckdb__array_type(element_type) -%}
    {{ element_type }}[]
{%- endmacro %}

{% macro default__array_type(element_type) -%}
    array<{{ element_type }}>
{%- endmacro %}
