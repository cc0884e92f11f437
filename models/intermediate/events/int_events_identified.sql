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
        ],
    )
}}

{#- The person is looked up here, never stored with the event in int_events_unified: a later login can move
    a device to another person. A table, not a view: five models and six tests read it, and as a view each
    of them would redo the identity joins over every event.
    An incremental run identifies again only what can have changed: the events in the partitions
    int_events_unified re-read (the same lookback), and the stored events of a login or device whose person
    in the identity map is no longer the one stored. Every stored row was identified with the map of the
    last build, so that map can be read back from the stored rows: a login's person where it resolved the
    event (resolved_via = 'user_id'), a device's person where the login did not. A device whose events all
    resolved through their logins keeps those persons until one of the logins changes, which is caught.
    The post-hook drops the events int_events_unified's own post-hook erased, so the table equals a full
    refresh (proved by tests/python/test_pipeline_incremental.py). -#}

with
{%- if is_incremental() %}

stored as {{ not_materialized() }} (
    select
        user_id,
        anonymous_id,
        person_id,
        resolved_via,
        dt
    from {{ this }}
),

-- a partition int_events_unified rebuilt for a re-delivery before the lookback moves the window back to it
{{ reprocess_window_ctes(identified_landing_partitions(), stored='stored') }}
{%- endif %}

events as (
    select * from {{ ref('int_events_unified') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

{{ event_persons_ctes() }}

{%- if is_incremental() %}

-- the map the stored rows were identified with: each login with the person it resolved them to (null: it
-- did not resolve), each device with its person where the login did not decide
stored_identifier_persons as (
    select distinct
        'user_id' as identifier_type,
        user_id as identifier_value,
        case when resolved_via = 'user_id' then person_id end as person_id
    from stored
    where user_id is not null

    union all

    select distinct
        'anonymous_id' as identifier_type,
        anonymous_id as identifier_value,
        person_id
    from stored
    where
        anonymous_id is not null
        and resolved_via is distinct from 'user_id'
),

changed_identifiers as (
    select
        stored_identifier_persons.identifier_type,
        stored_identifier_persons.identifier_value
    from stored_identifier_persons
    left join identifiers
        on
            stored_identifier_persons.identifier_type = identifiers.identifier_type
            and stored_identifier_persons.identifier_value = identifiers.identifier_value
    where stored_identifier_persons.person_id is distinct from identifiers.person_id
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
