{#- Regular expressions: every warehouse has them, each with its own function names and flags. -#}

{#- True when `expr` contains a match of `pattern` (use ^...$ to anchor). -#}
{% macro regexp_like(expr, pattern) %}
    {{- return(adapter.dispatch('regexp_like', 'tailor')(expr, pattern)) -}}
{% endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro default__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{#- Spark: rlike searches like regexp_matches; patterns are Java regexes (the project's need nothing RE2-only). -#}
{% macro spark__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike {{ spark_string_literal(pattern) }})
{%- endmacro %}


{#- Replace every match of `pattern` in `expr` by the literal `replacement`. -#}
{% macro regexp_replace_all(expr, pattern, replacement) %}
    {{- return(adapter.dispatch('regexp_replace_all', 'tailor')(expr, pattern, replacement)) -}}
{% endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace("'", "''") }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace("'", "''") }}', '{{ replacement }}')
{%- endmacro %}

{#- Spark replaces every match; a literal replacement needs $ and backslashes escaped for Java. -#}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    {%- set java_replacement = replacement | replace("\\", "\\\\") | replace("$", "\\$") -%}
    regexp_replace({{ expr }}, {{ spark_string_literal(pattern) }}, {{ spark_string_literal(java_replacement) }})
{%- endmacro %}


{#- The text of capture group `group` of the first match, or null when nothing matches. -#}
{% macro regexp_extract_group(expr, pattern, group=1) %}
    {{- return(adapter.dispatch('regexp_extract_group', 'tailor')(expr, pattern, group)) -}}
{% endmacro %}

{% macro duckdb__regexp_extract_group(expr, pattern, group=1) -%}
    nullif(regexp_extract({{ expr }}, '{{ pattern | replace("'", "''") }}', {{ group }}), '')
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern, group=1) -%}
    nullif(regexp_substr({{ expr }}, '{{ pattern | replace("'", "''") }}', 1, 1, 'e', {{ group }}), '')
{%- endmacro %}

{% macro spark__regexp_extract_group(expr, pattern, group=1) -%}
    nullif(regexp_extract({{ expr }}, {{ spark_string_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}


{#- A Spark SQL string literal of `text`: Spark reads backslash escapes in literals (and does not read a
    doubled quote), so backslashes and quotes are escaped with a backslash. -#}
{% macro spark_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
