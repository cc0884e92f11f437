{#- One setting of a domain's nested var (dbt_project.yml `vars: tailor: <domain>: {key: ...}`), the var the
    domain's Python models parse with their settings class: SQL reads the same value, and a key the var
    lacks fails the compile with the domain and the key named. -#}
{% macro setting(domain, key) %}
    {%- set values = var(domain) -%}
    {%- if key not in values -%}
        {%- set message = "setting '" ~ key ~ "' is not in the '" ~ domain ~ "' var (dbt_project.yml)" -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
    {{ return(values[key]) }}
{% endmacro %}
