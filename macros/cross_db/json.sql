{#- JSON: parse, validate and build JSON text. DuckDB's json extension; the defaults follow Snowflake. -#}

{#- True when `expr` is well-formed JSON text holding an object, false when not (malformed text, arrays,
    scalars), null when `expr` is null. -#}
{% macro json_is_object(expr) %}
    {{- return(adapter.dispatch('json_is_object', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__json_is_object(expr) -%}
    {#- validating is cheaper than parsing; an object is the valid JSON that opens with a brace -#}
    case when json_valid({{ expr }}) then left(ltrim({{ expr }}), 1) = '{' when {{ expr }} is not null then false end
{%- endmacro %}

{% macro default__json_is_object(expr) -%}
    case
        when try_parse_json({{ expr }}) is not null then is_object(try_parse_json({{ expr }}))
        when {{ expr }} is not null then false
    end
{%- endmacro %}

{#- Spark: text that parses as a JSON object into a map; arrays, scalars and malformed text give null.
    Spark's JSON reader is lenient by default (single-quoted strings, NaN and Infinity): spark_json_options
    makes it as strict as JSON itself, as DuckDB's json_valid is. -#}
{% macro spark__json_is_object(expr) -%}
    case
        when from_json({{ expr }}, 'map<string, string>', {{ spark_json_options() }}) is not null then true
        when {{ expr }} is not null then false
    end
{%- endmacro %}


{#- Spark's JSON reader options for strict JSON (RFC 8259): no single quotes, no NaN or Infinity. -#}
{% macro spark_json_options() -%}
    map('allowSingleQuotes', 'false', 'allowNonNumericNumbers', 'false')
{%- endmacro %}


{#- Parse JSON text once into a record holding the named top-level fields as text (null when absent);
    read a field with json_record_field(). Call it on valid JSON only. -#}
{% macro json_parse_fields(expr, fields) %}
    {{- return(adapter.dispatch('json_parse_fields', 'tailor')(expr, fields)) -}}
{% endmacro %}

{% macro duckdb__json_parse_fields(expr, fields) -%}
    {%- set structure = [] -%}
    {%- for field in fields -%}
        {%- do structure.append('"' ~ field ~ '": "VARCHAR"') -%}
    {%- endfor -%}
    from_json({{ expr }}, '{{ "{" ~ structure | join(", ") ~ "}" }}')
{%- endmacro %}

{% macro default__json_parse_fields(expr, fields) -%}
    try_parse_json({{ expr }})
{%- endmacro %}

{% macro spark__json_parse_fields(expr, fields) -%}
    {%- set structure = [] -%}
    {%- for field in fields -%}
        {%- do structure.append('`' ~ field ~ '`: string') -%}
    {%- endfor -%}
    from_json({{ expr }}, 'struct<{{ structure | join(", ") }}>', {{ spark_json_options() }})
{%- endmacro %}


{#- One field, as text, of a record built by json_parse_fields(). -#}
{% macro json_record_field(record, field) %}
    {{- return(adapter.dispatch('json_record_field', 'tailor')(record, field)) -}}
{% endmacro %}

{% macro duckdb__json_record_field(record, field) -%}
    struct_extract({{ record }}, '{{ field }}')
{%- endmacro %}

{% macro default__json_record_field(record, field) -%}
    struct_extract({{ record }}, '{{ field }}')::string
{%- endmacro %}

{% macro spark__json_record_field(record, field) -%}
    {{ record }}['{{ field }}']
{%- endmacro %}


{#- JSON object text from (key, expression) pairs, keys in the given order, nulls kept. -#}
{% macro json_object_text(pairs) %}
    {{- return(adapter.dispatch('json_object_text', 'tailor')(pairs)) -}}
{% endmacro %}

{% macro duckdb__json_object_text(pairs) -%}
    cast(json_object(
        {%- for key, value in pairs %}
        '{{ key }}', {{ value }}{{ "," if not loop.last }}
        {%- endfor %}
    ) as string)
{%- endmacro %}

{% macro default__json_object_text(pairs) -%}
    to_json(object_construct_keep_null(
        {%- for key, value in pairs %}
        '{{ key }}', {{ value }}{{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{#- Spark: to_json drops null fields unless told not to. -#}
{% macro spark__json_object_text(pairs) -%}
    to_json(named_struct(
        {%- for key, value in pairs %}
        '{{ key }}', {{ value }}{{ "," if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
