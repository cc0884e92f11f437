{#-
    Appends one row per executed node of this invocation to the audit table: what ran, its status,
    rows affected, duration, the code version, and which consent / erasure state the run applied.
    Called from dbt_project.yml's on-run-end, so it also records failed runs.
-#}
{% macro audit_run_end(results) %}
    {% if not execute %}{{ return('') }}{% endif %}
    {%- set audit_relation = api.Relation.create(
        database=target_database(), schema=target.schema, identifier='audit_run_log') -%}
    {% do run_query(create_audit_table_sql(audit_relation)) %}
    {%- if target.type == 'duckdb' -%}
        {#- an audit table created before the salt fingerprint was recorded gets the column (last, as created) -#}
        {% do run_query('alter table ' ~ audit_relation ~ ' add column if not exists salt_fingerprint varchar') %}
    {%- endif %}

    {%- set state = audit_privacy_state() -%}
    {%- set code_version = env_var('TAILOR_CODE_VERSION', 'unknown') -%}
    {%- set rows = [] -%}
    {%- for result in results -%}
        {%- set response = result.adapter_response or {} -%}
        {%- set rows_affected = response.get('rows_affected') -%}
        {%- do rows.append(
            "(" ~ dbt.string_literal(invocation_id)
            ~ ", " ~ dbt.string_literal(run_started_at.isoformat()) ~ "::timestamp"
            ~ ", " ~ dbt.string_literal(result.node.unique_id)
            ~ ", " ~ dbt.string_literal(result.node.resource_type)
            ~ ", " ~ dbt.string_literal(result.status)
            ~ ", " ~ (rows_affected if rows_affected is number else 'null')
            ~ ", " ~ (result.execution_time | round(3))
            ~ ", " ~ dbt.string_literal(code_version)
            ~ ", " ~ (state.erased_persons if state.erased_persons is not none else 'null')
            ~ ", " ~ (state.personalization_consented if state.personalization_consented is not none else 'null')
            ~ ", " ~ dbt.string_literal(state.consent_rule)
            ~ ", " ~ pii_salt_fingerprint()
            ~ ")"
        ) -%}
    {%- endfor -%}
    {% if rows %}
        {% do run_query("insert into " ~ audit_relation ~ " values " ~ rows | join(",\n")) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{% macro create_audit_table_sql(relation) %}
    create table if not exists {{ relation }} (
        invocation_id string,
        run_started_at timestamp,
        node_id string,
        resource_type string,
        status string,
        rows_affected bigint,
        execution_time_s double,
        code_version string,
        erased_persons_applied bigint,
        personalization_consented_persons bigint,
        consent_rule string,
        salt_fingerprint string
    )
{% endmacro %}


{#- Counts of the privacy state this run enforced, read from the models that hold it (null before they exist). -#}
{% macro audit_privacy_state() %}
    {%- set state = {
        'erased_persons': none,
        'personalization_consented': none,
        'consent_rule': 'most restrictive state wins unless an explicit grant is later than every revocation',
    } -%}
    {%- set erased = adapter.get_relation(target_database(), target.schema, 'int_persons_erased') -%}
    {%- if erased is not none -%}
        {%- do state.update({'erased_persons': run_query('select count(*) from ' ~ erased).columns[0].values()[0]}) -%}
    {%- endif -%}
    {%- set consent = adapter.get_relation(target_database(), target.schema, 'int_consent_current') -%}
    {%- if consent is not none -%}
        {%- set sql -%}
            select count(distinct person_id) from {{ consent }}
            where purpose = 'personalization' and is_granted
        {%- endset -%}
        {%- do state.update({'personalization_consented': run_query(sql).columns[0].values()[0]}) -%}
    {%- endif -%}
    {{ return(state) }}
{% endmacro %}


{#- The target's database, or none on engines whose targets have no database level (Spark). -#}
{% macro target_database() %}
    {{- return(target.database if target.database is defined else none) -}}
{% endmacro %}
