{#- Pseudonymize a PII value: hex SHA-256 of the salt followed by the value normalized (trimmed, lower case).
    Equal values give equal hashes across every source, so identity resolution still joins on them, while
    the raw value never leaves staging. Null or blank input gives null. -#}
{% macro pseudonymize(expr) %}
    {{- return(adapter.dispatch('pseudonymize', 'tailor')(expr)) -}}
{% endmacro %}

{% macro duckdb__pseudonymize(expr) -%}
    sha256({{ pii_salt() }} || nullif(lower(trim({{ expr }})), ''))
{%- endmacro %}

{% macro default__pseudonymize(expr) -%}
    {{ sha256_hex(pii_salt() ~ " || nullif(lower(trim(" ~ expr ~ ")), '')") }}
{%- endmacro %}


{#- The pseudonymization salt as a SQL string literal, from TAILOR_PII_SALT. The built-in default exists only
    so a first `dbt build` works; hashes made with it are guessable, so each run warns once (on-run-start). -#}
{% macro pii_salt() %}
    {{- return("'" ~ env_var('TAILOR_PII_SALT', default_pii_salt()) | replace("'", "''") ~ "'") -}}
{% endmacro %}

{% macro default_pii_salt() %}
    {{- return('tailor-insecure-default-salt-set-TAILOR_PII_SALT') -}}
{% endmacro %}

{#- on-run-start hook: one loud warning per run when the public default salt is in use. -#}
{% macro warn_on_default_pii_salt() %}
    {%- if execute and env_var('TAILOR_PII_SALT', default_pii_salt()) == default_pii_salt() -%}
        {%- do exceptions.warn(
            'TAILOR_PII_SALT is not set: PII is pseudonymized with the public default salt. '
            ~ 'Set TAILOR_PII_SALT to a secret value before loading real data.'
        ) -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}
