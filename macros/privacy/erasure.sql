{#- Right to erasure: the predicates and hooks that keep erased persons out of every stored model.
    Who is erased is decided once, in int_persons_erased and int_erasure_tombstones; everything here reads
    those two models, so a model calling these macros depends on them. -#}

{#- How an erasure request names an identifier, mapped to the identifier type the identity graph uses. -#}
{% macro erasure_identifier_type(expr) -%}
    case when {{ expr }} = 'email' then 'email_hash' else {{ expr }} end
{%- endmacro %}


{#- True when `column` holds a tombstoned identifier of `identifier_type`: an identifier of an erased person
    (or one named by an erasure request). Never null, so `not {{ is_tombstoned(...) }}` keeps rows whose
    identifier is missing. `tombstones` is the name of a CTE or relation selecting int_erasure_tombstones. -#}
{% macro is_tombstoned(column, identifier_type, tombstones='tombstones') -%}
    coalesce({{ column }} in (
        select {{ tombstones }}.identifier_value from {{ tombstones }}
        where {{ tombstones }}.identifier_type = '{{ identifier_type }}'
    ), false)
{%- endmacro %}


{#- True when `column` holds the person_id of an erased person; never null. `erased_persons` is the name of
    a CTE or relation selecting int_persons_erased. -#}
{% macro is_erased_person(column, erased_persons='erased_persons') -%}
    coalesce({{ column }} in (select {{ erased_persons }}.person_id from {{ erased_persons }}), false)
{%- endmacro %}


{#- A post-hook statement for incremental models and snapshots: rows stored by an earlier run survive a
    filter on new data, so rows of erased persons are deleted in place after every run.
    `person_columns`: columns holding a person_id; `identifier_columns`: {column: identifier_type}.

        post_hook="{{ delete_erased_rows(person_columns=['person_id'],
                                         identifier_columns={'anonymous_id': 'anonymous_id'}) }}" -#}
{% macro delete_erased_rows(person_columns=[], identifier_columns={}) -%}
    {%- set conditions = [] -%}
    {%- for column in person_columns -%}
        {%- do conditions.append(column ~ ' in (select person_id from ' ~ ref('int_persons_erased') ~ ')') -%}
    {%- endfor -%}
    {%- for column, identifier_type in identifier_columns.items() -%}
        {%- do conditions.append(
            column ~ ' in (select identifier_value from ' ~ ref('int_erasure_tombstones')
            ~ " where identifier_type = '" ~ identifier_type ~ "')"
        ) -%}
    {%- endfor -%}
    {%- if not conditions -%}
        {{ exceptions.raise_compiler_error('delete_erased_rows needs at least one person or identifier column') }}
    {%- endif -%}
    {{ delete_rows_where(this, conditions | join(' or ')) }}
{%- endmacro %}


{#- Erasure in the relations staging keeps. A landed record carrying a tombstoned identifier is erased: it leaves
    the clean and history models for the quarantine model (reason `erased`, unless it failed another check
    first), where it keeps no identifier and no raw record; the stored base tables keep such a row only as its
    key, arrival partition and fingerprint, so raw = clean + history + quarantine and the partition's landed
    row count still match (landing_reprocess_window reads it again only when its files change).

    Which tombstones: the store (erasure_tombstone_store), int_erasure_tombstones as of the end of the last
    run, never what the current run computes. Every model of one run sees the same erased records, and the
    identity graph of the run that first sees a request still holds the person it must resolve. After the
    run, sync_and_apply_erasure adds the new tombstones to the store and redacts the stored tables. -#}

{#- The base models whose records carry identifiers: their key and {column: SQL giving the identifier type of
    that column's value, as int_erasure_tombstones names it}; or, for the lines of a record (`parent`), the
    column holding the parent's key and the parent's base model: a line of an erased record is erased. The
    one list staging erasure reads. -#}
{% macro erasure_records(base_model=none) -%}
    {%- set web_ids = {'user_id': "'user_id'", 'anonymous_id': "'anonymous_id'"} -%}
    {%- set records = {
        'base_events__events': {'key': 'event_id', 'identifiers': web_ids},
        'base_web__pages': {'key': 'page_view_id', 'identifiers': web_ids},
        'base_web__identifies': {'key': 'identify_id', 'identifiers': {
            'user_id': "'user_id'", 'anonymous_id': "'anonymous_id'", 'email_hash': "'email_hash'"}},
        'base_privacy__consent_events': {'key': 'consent_event_id', 'identifiers': web_ids},
        'base_commerce__orders': {'key': 'order_id', 'identifiers': {
            'customer_id': "'user_id'", 'email_hash': "'email_hash'"}},
        'base_crm__contacts': {'key': 'contact_id', 'identifiers': {
            'contact_id': "'crm_contact_id'", 'email_hash': "'email_hash'"}},
        'base_support__tickets': {'key': 'ticket_id', 'identifiers': {'email_hash': "'email_hash'"}},
        'base_experiments__assignments': {'key': 'assignment_id', 'identifiers': {'unit_id': 'unit_type'}},
        'base_commerce__order_items': {'key': 'order_item_id', 'identifiers': {},
                                       'parent': {'column': 'order_id', 'model': 'base_commerce__orders'}},
    } -%}
    {%- if base_model is none -%}
        {{- return(records) -}}
    {%- endif -%}
    {{- return(records.get(base_model, {'key': none, 'identifiers': {}, 'parent': none})) -}}
{%- endmacro %}


{#- The store of applied tombstones: a table of the target schema that is not a node (var
    known_system_relations), so neither a --full-refresh nor a changed model empties it: once tombstoned,
    always. Same columns as int_erasure_tombstones. -#}
{% macro erasure_tombstone_store() -%}
    {{- return(api.Relation.create(
        database=target_database(), schema=target.schema, identifier='erasure_tombstones_applied', type='table')) -}}
{%- endmacro %}


{#- on-run-start hook: creates the store, empty, when the warehouse has none (the staging models read it). -#}
{% macro create_erasure_tombstone_store() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- do run_query(
        'create table if not exists ' ~ erasure_tombstone_store() ~ ' (tombstone_id string, identifier_type string,'
        ~ ' identifier_value string, person_id string, request_id string, requested_at timestamp)') -%}
    {{- commit_hook_queries() -}}
    {{- return('') -}}
{%- endmacro %}


{#- Commits what a hook ran with run_query: hooks run in the transaction the first such query opened, which
    dbt rolls back at the end of the invocation. Engines without transactions (Spark) have nothing to commit. -#}
{% macro commit_hook_queries() -%}
    {%- if target.type not in ('spark', 'databricks') -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
{%- endmacro %}


{#- The stored tombstones, as a query (int_erasure_tombstones keeps them; its unit tests override this). -#}
{% macro stored_erasure_tombstones() -%}
    select
        tombstone_id,
        identifier_type,
        identifier_value,
        person_id,
        request_id,
        requested_at
    from {{ erasure_tombstone_store() }}
{%- endmacro %}


{#- True when a row of `base_model` carries an identifier of the store (or is a line of such a record); never
    null; false for a model whose records carry no identifier. -#}
{% macro is_erased_record(base_model) -%}
    {%- set erasure = erasure_records(base_model) -%}
    {%- set parent = erasure.get('parent') -%}
    {%- if parent -%}
        {%- set parent_key = erasure_records(parent['model'])['key'] -%}
        coalesce({{ parent['column'] }} in (
            select erased_parents.{{ parent_key }} from {{ ref(parent['model']) }} as erased_parents
            where {{ is_erased_record(parent['model']) }}
        ), false)
    {%- elif not erasure['identifiers'] -%}
        false
    {%- else -%}
        ({%- for column, identifier_type in erasure['identifiers'].items() %}
        coalesce({{ identifier_type }} || ':' || {{ column }} in (
            select stored_tombstones.tombstone_id from {{ erasure_tombstone_store() }} as stored_tombstones
        ), false){{ ' or' if not loop.last }}
        {%- endfor %})
    {%- endif -%}
{%- endmacro %}


{#- True when the records of `base_model` can be erased (they carry identifiers, or are lines of such records). -#}
{% macro has_erasable_records(base_model) -%}
    {%- set erasure = erasure_records(base_model) -%}
    {{- return(erasure['identifiers'] or erasure.get('parent')) -}}
{%- endmacro %}


{#- What an erased record keeps of its raw record: a marker, so that every quarantined row still has one. -#}
{% macro erased_raw_record() -%}
    '{"erased": true}'
{%- endmacro %}


{#- The statement that redacts the erased rows of a stored base table: every column but the key, the arrival
    partition and fingerprint, the landing position and the quarantine reason is set to null, the raw record
    to the erased marker, and the reason of a row that passed every check becomes `erased`. Rows already
    redacted carry no identifier, so a second run changes nothing. Dispatched: standard SQL by default; none
    (an empty string) where the tables cannot be updated in place. -#}
{% macro redact_erased_rows_sql(relation, base_model) -%}
    {{- return(adapter.dispatch('redact_erased_rows_sql', 'tailor')(relation, base_model)) -}}
{%- endmacro %}

{#- The columns an erased record of `base_model` keeps: its key (unless the key is itself an identifier, as a
    CRM contact id is: nulled, as the quarantine model shows it), arrival partition, landing fingerprint and
    position, and its reason and raw-record marker (both set by the redaction); every other column becomes
    null. -#}
{% macro erased_record_kept_columns(base_model) -%}
    {%- set erasure = erasure_records(base_model) -%}
    {%- set keys = [] if erasure['key'] in erasure['identifiers'] else [erasure['key']] -%}
    {{- return(keys + ['dt', 'landing_fingerprint', 'filename', 'file_row_number', 'quarantine_reason',
                       'raw_record']) -}}
{%- endmacro %}

{% macro default__redact_erased_rows_sql(relation, base_model) -%}
    {%- set kept = erased_record_kept_columns(base_model) -%}
    update {{ relation }} set
        quarantine_reason = coalesce(quarantine_reason, 'erased'),
        raw_record = {{ erased_raw_record() }}
        {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in kept %},
        {{ adapter.quote(column.name) }} = null
        {%- endfor %}
    where {{ is_erased_record(base_model) }}
{%- endmacro %}

{#- Spark's Parquet tables take no update: the same redaction as a rewrite. The partitions (`dt`) holding an
    erased record not yet redacted are copied, redacted, into a scratch table (Spark cannot overwrite a table
    it reads) and overwrite their originals (dynamic partition overwrite, profiles.yml); a table without `dt`
    is rewritten whole. Nothing is rewritten when no stored record is erased and unredacted, which is every
    run without a new erasure. The statements run here; the hook text is empty. -#}
{% macro spark__redact_erased_rows_sql(relation, base_model) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set condition = is_erased_record(base_model) -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set partitioned = 'dt' in names | map('lower') | list -%}
    {#- one scan finds what to rewrite: the partitions holding such a record (or whether a table without
        `dt` holds one) -#}
    {%- set found = run_query(
        'select distinct ' ~ ('cast(dt as string)' if partitioned else "'whole table'")
        ~ ' from ' ~ relation ~ ' where ' ~ condition).columns[0].values() | list -%}
    {%- if not found -%}{{ return('') }}{%- endif -%}
    {%- set kept = erased_record_kept_columns(base_model) -%}
    {%- set selected = [] -%}
    {%- for name in names -%}
        {%- if name | lower == 'quarantine_reason' -%}
            {%- do selected.append(
                "case when __erased then coalesce(quarantine_reason, 'erased') else quarantine_reason end"
                ~ ' as quarantine_reason') -%}
        {%- elif name | lower == 'raw_record' -%}
            {%- do selected.append('case when __erased then ' ~ erased_raw_record() ~ ' else raw_record end as raw_record') -%}
        {%- elif name | lower in kept -%}
            {%- do selected.append(adapter.quote(name)) -%}
        {%- else -%}
            {%- set quoted = adapter.quote(name) -%}
            {%- do selected.append('case when __erased then null else ' ~ quoted ~ ' end as ' ~ quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rewritten = "cast(dt as string) in ('" ~ found | join("', '") ~ "')" if partitioned else 'true' -%}
    {%- set scratch = relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_tmp_redacted'}) -%}
    {%- do run_query('drop table if exists ' ~ scratch) -%}
    {%- do run_query(
        'create table ' ~ scratch ~ ' using parquet as select ' ~ selected | join(', ')
        ~ ' from (select *, ' ~ condition ~ ' as __erased from ' ~ relation ~ ' where ' ~ rewritten ~ ') as rows') -%}
    {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) -%}
    {%- do run_query('drop table ' ~ scratch) -%}
    {{- return('') -}}
{%- endmacro %}

{#- Post-hook of the staging models (dbt_project.yml): a stored base table redacts its erased rows as soon as
    it is built, before any model reads it; views and ephemeral models are erased by their readers. -#}
{% macro redact_erased_rows() -%}
    {%- if not execute or model.config.materialized not in ('table', 'incremental')
        or not has_erasable_records(this.identifier) -%}
        {{- return('') -}}
    {%- endif -%}
    {{ redact_erased_rows_sql(this, this.identifier) }}
{%- endmacro %}


{#- on-run-end hook, first: the tombstones this run computed join the store, then every stored relation
    built before them is erased with the store: the stored base tables are redacted
    (redact_erased_rows_sql), the identity graph (rebuilt on the next run from staging, which then
    holds none of the person's records) and the map int_events_identified stored (event_persons_applied)
    lose the erased identifiers' rows, and when the run added tombstones, the snapshot arrival store loses
    the records that left staging (forget_unlisted_extract_records_sql). -#}
{% macro sync_and_apply_erasure() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {#- the store is there: on-run-start created it (a table made by a hook is not in dbt's relation cache) -#}
    {%- set store = erasure_tombstone_store() -%}
    {%- set tombstones = adapter.get_relation(target_database(), target.schema, 'int_erasure_tombstones') -%}
    {#- the store first, in its own query: every statement below reads it (on Spark some run as they are
        built) -#}
    {%- set added = none -%}
    {%- if tombstones is not none -%}
        {%- set columns = 'tombstone_id, identifier_type, identifier_value, person_id, request_id, requested_at' -%}
        {%- set new_tombstones = ' from ' ~ tombstones
            ~ ' where tombstone_id not in (select tombstone_id from ' ~ store ~ ')' -%}
        {%- set added = run_query('select count(*)' ~ new_tombstones).columns[0].values()[0] -%}
        {%- do run_query('insert into ' ~ store ~ ' (' ~ columns ~ ') select ' ~ columns ~ new_tombstones) -%}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for base_model in erasure_records() if erasure_records(base_model)['identifiers'] -%}
        {%- set relation = adapter.get_relation(target_database(), target.schema, base_model) -%}
        {%- if relation is not none and relation.is_table -%}
            {%- do statements.append(redact_erased_rows_sql(relation, base_model)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set graph_rows = {
        'int_identity_edges': ["left_type || ':' || left_value", "right_type || ':' || right_value"],
        'int_identifiers_resolved': ["identifier_type || ':' || identifier_value"],
        event_persons_store().identifier: ["identifier_type || ':' || identifier_value"],
    } -%}
    {#- delete_rows_where: a delete statement, or on Spark's Parquet tables a rewrite it runs itself -#}
    {%- for name, identifiers in graph_rows.items() -%}
        {%- set relation = adapter.get_relation(target_database(), target.schema, name) -%}
        {%- if relation is not none and relation.is_table -%}
            {%- set conditions = [] -%}
            {%- for identifier in identifiers -%}
                {%- do conditions.append(identifier ~ ' in (select tombstone_id from ' ~ store ~ ')') -%}
            {%- endfor -%}
            {%- do statements.append(delete_rows_where(relation, conditions | join(' or '))) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- the arrival store keeps record keys of the snapshot extracts (a CRM contact's is an identifier): after
        the redaction above, the records the run's new tombstones erased have left staging, and leave the store
        now, not on the next build -#}
    {%- set arrivals = adapter.get_relation(target_database(), target.schema, 'int_extract_versions_arrived') -%}
    {%- if added and arrivals is not none and arrivals.is_table -%}
        {%- do statements.append(forget_unlisted_extract_records_sql(arrivals)) -%}
    {%- endif -%}
    {#- one statement a query: a hook's text runs as one prepared statement -#}
    {%- set statements = statements | reject('equalto', '') | list -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- if tombstones is not none or statements -%}
        {{- commit_hook_queries() -}}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}
