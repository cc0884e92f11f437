{#- Arrival times of the snapshot extracts (docs/recommendations.md, "Known means arrived"). A snapshot
    extract is one file replaced by each day's full extract: it carries no arrival time, so a record dated
    long ago may first appear in today's file. int_extract_versions_arrived keeps, for each record version,
    when the project first had it; the readers below turn that into a known-at time. -#}

{#- The snapshot extracts, the one list: the staging models holding their clean versions (the latest and the
    superseded ones), the record key, and the version's own time (`{r}` stands for the relation's name). -#}
{% macro snapshot_extracts() -%}
    {{- return({
        'commerce.orders': {
            'models': ['stg_commerce__orders', 'stg_commerce__orders_history'], 'key': 'order_id',
            'version_at': 'coalesce({r}.updated_at, {r}.ordered_at)'},
        'catalog.products': {
            'models': ['stg_catalog__products', 'stg_catalog__products_history'], 'key': 'product_id',
            'version_at': 'coalesce({r}.updated_at, {r}.created_at)'},
        'crm.contacts': {
            'models': ['stg_crm__contacts', 'stg_crm__contacts_history'], 'key': 'contact_id',
            'version_at': 'coalesce({r}.updated_at, {r}.created_at)'},
        'privacy.consent_events': {
            'models': ['stg_privacy__consent_events'], 'key': 'consent_event_id',
            'version_at': '{r}.occurred_at'},
        'support.tickets': {
            'models': ['stg_support__tickets'], 'key': 'ticket_id',
            'version_at': '{r}.created_at'},
        'experiments.assignments': {
            'models': ['stg_experiments__assignments'], 'key': 'assignment_id',
            'version_at': '{r}.assigned_at'},
    }) -}}
{%- endmacro %}


{#- The version time of a record of `extract` in `relation` (a relation or CTE with its staging columns). -#}
{% macro extract_version_at(extract, relation) -%}
    {{- snapshot_extracts()[extract]['version_at'].replace('{r}', relation) -}}
{%- endmacro %}


{#- The key of a stored version: the extract, the record key and the version time as text (a version
    without a time included, so that it is found again). -#}
{% macro extract_version_id(extract_expr, key_expr, version_at_expr) -%}
    {{ extract_expr }} || '|' || {{ key_expr }} || '|' || coalesce(cast({{ version_at_expr }} as string), '')
{%- endmacro %}


{#- Every clean version of every snapshot extract in the staging models, once: extract_name, record_id,
    version_at (a union, so duplicates go). `built`: read the staging views of the target schema by name, for
    a run-end hook (which cannot ref a model). -#}
{% macro extract_versions(built=false) -%}
    {%- for extract, spec in snapshot_extracts().items() -%}
        {%- set outer_loop = loop -%}
        {%- for model in spec['models'] %}
    select
        '{{ extract }}' as extract_name,
        cast(versions.{{ spec['key'] }} as string) as record_id,
        cast({{ extract_version_at(extract, 'versions') }} as timestamp) as version_at
    from {{ api.Relation.create(database=target_database(), schema=target.schema, identifier=model)
        if built else ref(model) }} as versions
    where versions.{{ spec['key'] }} is not null
            {%- if not (outer_loop.last and loop.last) %}
    union
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}


{#- The arrival rule: a record version is known from its own time, or from when the project first had it if
    that was later. `arrived_at` is null for a version the store had from its first build: nothing earlier
    was known about it, so its own time stands (what every reader assumed before arrival times existed). -#}
{% macro known_at(business_at, arrived_at) -%}
    greatest({{ business_at }}, coalesce({{ arrived_at }}, {{ business_at }}))
{%- endmacro %}


{#- The arrival of each version of `extract`: record_id, version_at, arrived_at (join on the first two). -#}
{% macro arrived_versions(extract) -%}
    select
        record_id,
        version_at,
        arrived_at
    from {{ ref('int_extract_versions_arrived') }}
    where extract_name = '{{ extract }}'
{%- endmacro %}


{#- The first arrival of each record of `extract`: record_id, arrived_at, null when any of its versions was
    there from the store's first build (the record is then known from its creation). -#}
{% macro arrived_records(extract) -%}
    select
        record_id,
        case when count(*) > count(arrived_at) then null else min(arrived_at) end as arrived_at
    from {{ ref('int_extract_versions_arrived') }}
    where extract_name = '{{ extract }}'
    group by record_id
{%- endmacro %}


{#- The statement that makes `relation` (the stored int_extract_versions_arrived) forget the records that left
    staging: the store's own rule (a record no extract version lists any more leaves it), for the run's end.
    On the build that first sees an erasure request, staging still held the person's records when the store was
    built; once sync_and_apply_erasure has put the run's tombstones in the tombstone store and redacted the
    stored base tables, staging leaves them out (is_erased_record), and this deletes their versions on the same
    build, as the next build (or a full refresh at the same date) would. delete_rows_where: a delete statement,
    or on Spark a rewrite it runs itself. -#}
{% macro forget_unlisted_extract_records_sql(relation) -%}
    {{- return(delete_rows_where(relation, 'not exists (select 1 from (' ~ extract_versions(built=true) ~ ') as listed'
        ~ ' where listed.extract_name = stored.extract_name and listed.record_id = stored.record_id)',
        alias='stored')) -}}
{%- endmacro %}
