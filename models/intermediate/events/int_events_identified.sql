{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='fail',
        tags=['person_level'],
        post_hook=[
            "{{ delete_erased_rows(identifier_columns={'user_id': 'user_id', 'anonymous_id': 'anonymous_id'}) }}",
            "{{ delete_redelivered_rows(identified_landing_partitions()) }}",
            "{{ store_event_persons_applied() }}",
        ],
    )
}}

{#- The person is looked up here, never stored with the event in int_events_unified: a later login can move
    a device to another person. A table, not a view: five models and six tests read it, and as a view each
    of them would redo the identity joins over every event.
    An incremental run identifies again only what can have changed: the events in the partitions
    int_events_unified re-read (the same lookback), and the stored events of a login or device whose person
    in the identity map (event_persons_map) is not the one of the map the last build identified with. Every
    stored row was identified with that map, which the last build stored (event_persons_applied, written
    by the post-hook), so the two maps are compared instead of reading back every stored event; a login or
    device in one map only changed too (it gained or lost its person). Without a stored map every event is
    identified again.
    The post-hook drops the events int_events_unified's own post-hook erased, so the table equals a full
    refresh (proved by tests/python/test_pipeline_incremental.py). -#}

{%- set stored_map = stored_event_persons() if is_incremental() else none %}

with

events as (
    select * from {{ ref('int_events_unified') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

{{ event_persons_ctes() }}

{%- if stored_map %}

-- a partition int_events_unified rebuilt for a re-delivery before the lookback moves the window back to it
{{ reprocess_window_ctes(identified_landing_partitions()) }}

-- the map the stored rows were identified with
stored_event_persons as (
    {{ stored_map }}
),

-- each login or device whose person is not the one the stored rows were identified with
changed_identifiers as (
    select
        coalesce(stored_event_persons.identifier_type, event_persons.identifier_type) as identifier_type,
        coalesce(stored_event_persons.identifier_value, event_persons.identifier_value) as identifier_value
    from stored_event_persons
    full outer join event_persons
        on
            stored_event_persons.identifier_type = event_persons.identifier_type
            and stored_event_persons.identifier_value = event_persons.identifier_value
    where stored_event_persons.person_id is distinct from event_persons.person_id
),

events_to_identify as (
    select events.*
    from events
    where
        events.dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
        or events.user_id in (
            select changed_identifiers.identifier_value from changed_identifiers
            where changed_identifiers.identifier_type = 'user_id'
        )
        or events.anonymous_id in (
            select changed_identifiers.identifier_value from changed_identifiers
            where changed_identifiers.identifier_type = 'anonymous_id'
        )
),
{%- else %}

events_to_identify as (
    select * from events
),
{%- endif %}

-- the login outranks the device: on a shared device each login keeps its own person
final as (
    select
        events.event_id,
        {{ event_person_id() }} as person_id,
        {{ event_resolved_via() }} as resolved_via,
        events.event_source,
        events.event_type,
        events.anonymous_id,
        events.user_id,
        events.occurred_at,
        events.received_at,
        events.dt,
        events.item_id,
        events.scroll_percent,
        events.video_seconds,
        events.search_query,
        events.feature_name,
        events.rec_slot,
        events.page_path,
        events.referrer,
        events.referrer_host,
        events.device_type,
        events.landing_fingerprint
    from events_to_identify as events
    {{ event_persons_joins('events') }}
)

select * from final
