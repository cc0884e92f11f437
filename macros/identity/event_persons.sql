{#- The identity map an event is identified with: each login (user_id) and each device (anonymous_id) of
    `identifiers` (int_identifiers_retained) that has a person, as (identifier_type, identifier_value,
    person_id). event_persons_ctes joins it; int_events_identified stores it after every build
    (store_event_persons_applied), so the next build compares maps instead of reading its stored events. -#}
{% macro event_persons_map(identifiers='identifiers') -%}
    select
        identifier_type,
        identifier_value,
        person_id
    from {{ identifiers }}
    where
        identifier_type in ('user_id', 'anonymous_id')
        and person_id is not null
{%- endmacro %}


{#- The three CTEs that give an event its person: `event_persons` (event_persons_map over `identifiers`, a
    CTE over int_identifiers_retained), and from it `user_persons` and `device_persons`, each login and each
    device with its person, joined to an event by event_persons_joins. The login outranks the device
    (event_person_id, event_resolved_via). int_events_identified and int_interactions_weighted both resolve
    with them, so an event's person is the same in both. Ends with a comma: the model's CTEs follow. -#}
{% macro event_persons_ctes(identifiers='identifiers') -%}
event_persons as (
    {{ event_persons_map(identifiers) }}
),

user_persons as (
    select
        identifier_value as user_id,
        person_id
    from event_persons
    where identifier_type = 'user_id'
),

device_persons as (
    select
        identifier_value as anonymous_id,
        person_id
    from event_persons
    where identifier_type = 'anonymous_id'
),
{%- endmacro %}


{% macro event_persons_joins(events='events') -%}
    left join user_persons
        on {{ events }}.user_id = user_persons.user_id
    left join device_persons
        on {{ events }}.anonymous_id = device_persons.anonymous_id
{%- endmacro %}


{#- An event's person after event_persons_joins: the login's, else the device's; null when neither has one. -#}
{% macro event_person_id() -%}
    coalesce(user_persons.person_id, device_persons.person_id)
{%- endmacro %}


{#- Which identifier gave the event its person (event_person_id): 'user_id', 'anonymous_id', or null. -#}
{% macro event_resolved_via() -%}
    case
        when user_persons.person_id is not null then 'user_id'
        when device_persons.person_id is not null then 'anonymous_id'
    end
{%- endmacro %}


{#- The map int_events_identified's stored rows were identified with (event_persons_map as of the last build):
    a table of the target schema that is not a node (var known_system_relations), written by the model's
    post-hook (store_event_persons_applied) and erased at the end of every run (sync_and_apply_erasure). -#}
{% macro event_persons_store() -%}
    {{- return(api.Relation.create(
        database=target_database(), schema=target.schema, identifier='event_persons_applied', type='table')) -}}
{%- endmacro %}


{#- The stored map as a query (identifier_type, identifier_value, person_id), or none where no build stored
    one (a warehouse built before the store existed): int_events_identified then identifies every event
    again, once. Its unit tests override this. -#}
{% macro stored_event_persons() -%}
    {%- set store = event_persons_store() -%}
    {%- if not execute or adapter.get_relation(store.database, store.schema, store.identifier) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return('select identifier_type, identifier_value, person_id from ' ~ store) -}}
{%- endmacro %}


{#- Post-hook of int_events_identified, after its deletes: the map this build identified with replaces the
    stored one (replace_table_rows_sql). -#}
{% macro store_event_persons_applied() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set store = event_persons_store() -%}
    {%- set statement = replace_table_rows_sql(store, event_persons_map(ref('int_identifiers_retained'))) -%}
    {#- a table made by a hook is not in dbt's relation cache: the run-end erasure looks it up there -#}
    {%- do adapter.cache_added(store) -%}
    {{- return(statement) -}}
{%- endmacro %}
