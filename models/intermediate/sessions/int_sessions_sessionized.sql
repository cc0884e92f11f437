{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='device_id',
        on_schema_change='fail',
        tags=['person_level'],
        post_hook="{{ delete_erased_rows(person_columns=['person_id'], identifier_columns={'anonymous_id': 'anonymous_id'}) }}",
    )
}}

{#- The unit of work is a device: every run rebuilds all sessions of the devices with events in the landing
    partitions int_events_unified re-read (the same lookback) or whose identity changed, and the
    delete+insert on device_id swaps them whole. A late event can merge or split old sessions of its device,
    and a new login can move a device to another person; both only touch the devices rebuilt, so an
    incremental run equals a full refresh. -#}
{%- set lookback_minutes = (var('late_event_lookback_days') | int) * 24 * 60 %}

with

events as (
    select * from {{ ref('int_events_identified') }}
),

{%- if is_incremental() %}

stored_sessions as (
    select * from {{ this }}
),

-- the landing partitions int_events_unified re-read: their devices may have new events (all when empty)
reprocess_window as (
    select
        coalesce(
            cast({{ add_minutes('max(last_received_at)', -lookback_minutes) }} as date), cast('0001-01-01' as date)
        ) as reprocess_from_dt
    from stored_sessions
),
{%- endif %}

-- a device's stream: its anonymous_id, or the login for events sent without one (server-side calls)
streamed as (
    select
        *,
        coalesce(anonymous_id, 'user:' || user_id) as device_id
    from events
),

device_logins as (
    select distinct
        device_id,
        user_id,
        person_id,
        resolved_via
    from streamed
),

-- which person each login of a device (and its anonymous part) resolves to now
device_identities as (
    select
        device_id,
        {{ sha256_hex(listagg(
            "coalesce(user_id, '') || '=' || coalesce(person_id, '') || '/' || coalesce(resolved_via, '')",
            "','",
            "order by user_id, person_id, resolved_via",
        )) }} as identity_fingerprint
    from device_logins
    group by device_id
),

{%- if is_incremental() %}

stored_identities as (
    select distinct
        device_id,
        identity_fingerprint
    from stored_sessions
),

devices_with_new_events as (
    select distinct device_id
    from streamed
    where dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
),

devices_with_moved_identity as (
    select device_identities.device_id
    from device_identities
    left join stored_identities
        on device_identities.device_id = stored_identities.device_id
    where
        stored_identities.identity_fingerprint is null
        or stored_identities.identity_fingerprint != device_identities.identity_fingerprint
),

devices_to_rebuild as (
    select device_id from devices_with_new_events
    union
    select device_id from devices_with_moved_identity
),
{%- endif %}

scoped_events as (
    select
        streamed.*,
        device_identities.identity_fingerprint
    from streamed
    inner join device_identities
        on streamed.device_id = device_identities.device_id
    {%- if is_incremental() %}
    inner join devices_to_rebuild
        on streamed.device_id = devices_to_rebuild.device_id
    {%- endif %}
),

with_previous as (
    select
        *,
        lag(occurred_at) over (
            partition by person_id, device_id
            order by occurred_at, event_id
        ) as previous_occurred_at
    from scoped_events
),

-- a gap of exactly the inactivity timeout continues the session; one second more starts a new one
flagged as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ add_minutes('previous_occurred_at', var('session_inactivity_minutes')) }} then 1
            else 0
        end as is_session_start
    from with_previous
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by person_id, device_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from flagged
),

keyed as (
    select
        *,
        min(occurred_at) over (partition by person_id, device_id, session_number) as session_start_at
    from numbered
),

session_events as (
    select
        *,
        {{ sha256_hex(
            "coalesce(person_id, '') || '|' || device_id || '|' || cast(session_start_at as varchar)"
        ) }} as session_id
    from keyed
),

ranked_pages as (
    select
        session_id,
        page_path,
        referrer,
        referrer_host,
        device_type,
        row_number() over (partition by session_id order by occurred_at, event_id) as page_rank
    from session_events
    where event_source = 'page'
),

landing_pages as (
    select * from ranked_pages
    where page_rank = 1
),

sessions as (
    select
        session_id,
        person_id,
        device_id,
        min(anonymous_id) as anonymous_id,
        min(session_start_at) as session_start_at,
        max(occurred_at) as session_end_at,
        max(received_at) as last_received_at,
        sum(case when event_source = 'page' then 1 else 0 end) as page_view_count,
        sum(case when event_source = 'event' then 1 else 0 end) as event_count,
        max(scroll_percent) as max_scroll_percent,
        coalesce(sum(video_seconds), 0) as video_seconds,
        max(case when event_type = 'checkout_start' then 1 else 0 end) = 1 as has_checkout_start,
        max(case when resolved_via = 'user_id' then 1 else 0 end) = 1 as is_logged_in,
        min(identity_fingerprint) as identity_fingerprint
    from session_events
    group by
        session_id,
        person_id,
        device_id
),

final as (
    select
        cast(sessions.session_id as varchar) as session_id,
        cast(sessions.person_id as varchar) as person_id,
        cast(sessions.device_id as varchar) as device_id,
        cast(sessions.anonymous_id as varchar) as anonymous_id,
        cast(sessions.session_start_at as timestamp) as session_start_at,
        cast(sessions.session_end_at as timestamp) as session_end_at,
        cast(
            {{ datediff('sessions.session_start_at', 'sessions.session_end_at', 'second') }} as bigint
        ) as duration_s,
        cast(sessions.page_view_count as bigint) as page_view_count,
        cast(sessions.event_count as bigint) as event_count,
        cast(sessions.max_scroll_percent as double) as max_scroll_percent,
        cast(sessions.video_seconds as double) as video_seconds,
        cast(landing_pages.page_path as varchar) as landing_page_path,
        cast(landing_pages.referrer as varchar) as referrer,
        cast(landing_pages.referrer_host as varchar) as referrer_host,
        cast(landing_pages.device_type as varchar) as device_type,
        cast(sessions.has_checkout_start as boolean) as has_checkout_start,
        cast(sessions.is_logged_in as boolean) as is_logged_in,
        cast(sessions.last_received_at as timestamp) as last_received_at,
        cast(sessions.identity_fingerprint as varchar) as identity_fingerprint
    from sessions
    left join landing_pages
        on sessions.session_id = landing_pages.session_id
)

select * from final
