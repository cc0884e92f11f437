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


{#- The pseudonymization salt as a SQL expression reading the session, never the salt itself: the salt
    (TAILOR_PII_SALT) is handed to each connection by the tailor.privacy.dbt_plugin plugin of the profile,
    so no compiled SQL, manifest or docs page holds it. A session without it fails instead of hashing with
    nothing. Another engine provides <adapter>__pii_salt reading its own session variable. -#}
{% macro pii_salt() %}
    {{- return(adapter.dispatch('pii_salt', 'tailor')()) -}}
{% endmacro %}

{% macro duckdb__pii_salt() -%}
    coalesce(getvariable('tailor_pii_salt')::varchar,
        error('no pseudonymization salt in this session: the profile target needs plugins: [{module: tailor.privacy.dbt_plugin}]'))
{%- endmacro %}

{#- Spark (first layer, seeds and staging only): the salt is still a literal until its session carries it, e.g.
    a spark.conf set by the connection; not yet kept out of Spark's artifacts (docs/privacy.md). -#}
{% macro spark__pii_salt() -%}
    {{ dbt.string_literal(env_var('TAILOR_PII_SALT', 'tailor-insecure-default-salt-set-TAILOR_PII_SALT')) }}
{%- endmacro %}

{% macro default__pii_salt() -%}
    {{ exceptions.raise_compiler_error(
        'tailor has no session salt for ' ~ target.type ~ ': add a ' ~ target.type ~ '__pii_salt macro reading a '
        ~ 'session variable set at connection time (never the salt in SQL text)'
    ) }}
{%- endmacro %}


{#- The fingerprint of the session's salt (tailor.privacy.salt.salt_fingerprint) and whether the salt is the
    public default, as SQL expressions; null when the session has no salt. -#}
{% macro pii_salt_fingerprint() %}
    {{- return(adapter.dispatch('pii_salt_fingerprint', 'tailor')()) -}}
{% endmacro %}

{% macro default__pii_salt_fingerprint() -%}
    cast(null as string)
{%- endmacro %}

{% macro duckdb__pii_salt_fingerprint() -%}
    getvariable('tailor_pii_salt_fingerprint')::varchar
{%- endmacro %}

{% macro pii_salt_is_default() %}
    {{- return(adapter.dispatch('pii_salt_is_default', 'tailor')()) -}}
{% endmacro %}

{% macro default__pii_salt_is_default() -%}
    cast(null as boolean)
{%- endmacro %}

{% macro duckdb__pii_salt_is_default() -%}
    getvariable('tailor_pii_salt_is_default')::boolean
{%- endmacro %}


{#- on-run-start hook. Fails when the session has no salt (a profile without the plugin) or when the salt
    differs from the one the stored pseudonyms were made with (the latest fingerprint in audit_run_log): a
    changed salt would split every identity. Warns once when the public default salt is in use (the plugin
    already refused it outside a generated sample). See "Rotating the salt" in docs/privacy.md. -#}
{% macro check_pii_salt() %}
    {%- if not execute or target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
    {%- set session = run_query('select ' ~ pii_salt_fingerprint() ~ ' as fingerprint, '
        ~ pii_salt_is_default() ~ ' as is_default') -%}
    {%- set fingerprint = session.columns[0].values()[0] -%}
    {%- if fingerprint is none -%}
        {{ exceptions.raise_compiler_error(
            'No pseudonymization salt in the session: add `plugins: [{module: tailor.privacy.dbt_plugin}]` '
            ~ 'to the target in profiles.yml') }}
    {%- endif -%}
    {%- if session.columns[1].values()[0] -%}
        {%- do exceptions.warn(
            'TAILOR_PII_SALT is not set: the generated sample is pseudonymized with the public default salt. '
            ~ 'Set TAILOR_PII_SALT to a secret value before loading real data.'
        ) -%}
    {%- endif -%}
    {%- set stored = stored_pii_salt_fingerprint() -%}
    {%- if stored is not none and stored != fingerprint -%}
        {{ exceptions.raise_compiler_error(
            'TAILOR_PII_SALT differs from the salt of the pseudonyms stored in this warehouse (fingerprint '
            ~ fingerprint ~ ' != ' ~ stored ~ '): restore the previous salt, or rotate it by building a new '
            ~ 'warehouse (docs/privacy.md, "Rotating the salt")') }}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}


{#- The salt fingerprint of the latest audited run of this warehouse; none before any run recorded one. -#}
{% macro stored_pii_salt_fingerprint() %}
    {%- set audit = adapter.get_relation(target.database, target.schema, 'audit_run_log') -%}
    {%- if audit is none -%}{{ return(none) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(audit) | map(attribute='name') | list -%}
    {%- if 'salt_fingerprint' not in columns -%}{{ return(none) }}{%- endif -%}
    {%- set sql -%}
        select salt_fingerprint from {{ audit }}
        where salt_fingerprint is not null
        order by run_started_at desc
        limit 1
    {%- endset -%}
    {%- set values = run_query(sql).columns[0].values() -%}
    {{- return(values[0] if values else none) -}}
{% endmacro %}
