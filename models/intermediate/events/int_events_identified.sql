{{ config(materialized='table', tags=['person_level']) }}

{#- The person is looked up on every build, never stored with the event in int_events_unified: a later
    login can move a device to another person, and the next build shows the current answer without
    rewriting old events. A table rebuilt in full each run, not a view: five models and six tests read it,
    and as a view each of them would redo the identity joins over every event. -#}
with

events as (
    select * from {{ ref('int_events_unified') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

user_persons as (
    select
        identifier_value as user_id,
        person_id
    from identifiers
    where
        identifier_type = 'user_id'
        and person_id is not null
),

device_persons as (
    select
        identifier_value as anonymous_id,
        person_id
    from identifiers
    where
        identifier_type = 'anonymous_id'
        and person_id is not null
),

-- the login outranks the device: on a shared device each login keeps its own person
final as (
    select
        events.event_id,
        coalesce(user_persons.person_id, device_persons.person_id) as person_id,
        case
            when user_persons.person_id is not null then 'user_id'
            when device_persons.person_id is not null then 'anonymous_id'
        end as resolved_via,
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
        events.device_type
    from events
    left join user_persons
        on events.user_id = user_persons.user_id
    left join device_persons
        on events.anonymous_id = device_persons.anonymous_id
)

select * from final
