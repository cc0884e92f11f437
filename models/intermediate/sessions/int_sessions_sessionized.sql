{{
    config(
        materialized='incremental',
        incremental_strategy='replace_stream_tails',
        partition_column='device_id',
        stream_columns=['person_id'],
        start_column='session_start_at',
        version_column='identity_fingerprint',
        on_schema_change='fail',
        tags=['person_level'],
        post_hook="{{ delete_erased_rows(person_columns=['person_id'], identifier_columns={'anonymous_id': 'anonymous_id'}) }}",
    )
}}

{#- Incremental runs sessionize again only what new events can change: per stream (a person on a device),
    the sessions from the first stored one that ends within the inactivity timeout of the stream's earliest
    event in the landing partitions int_events_unified re-read (the same lookback). A gap longer than the
    timeout separates sessions, so the sessions before that one cannot change; a late event merging or
    splitting sessions is inside the rebuilt tail. A device whose identities moved (a new login sends it
    to another person) is rebuilt whole. The replace_stream_tails strategy swaps the rebuilt tails in, so
    an incremental run equals a full refresh. -#}
{#- A full build sessionizes the devices in groups by hash, one union branch each, so the window passes
    hold one group's events at a time: as many groups as int_events_identified holds
    var('session_bucket_events') events, rounded up (at scale l, 160M events in one pass spilled more than
    34 GB to disk; at scale m one group does, and each more group reads the events again). An incremental
    run rebuilds few events and uses one group. -#}
{%- set buckets = 1 if is_incremental() else session_bucket_count('int_events_identified') %}
{%- set bucket_suffixes = [] %}
{%- for bucket in range(buckets) %}
{%- do bucket_suffixes.append('' if buckets == 1 else '_bucket_' ~ bucket) %}
{%- endfor %}

with

events as {{ not_materialized() }} (
    select * from {{ ref('int_events_identified') }}
),

{%- if is_incremental() %}

stored_sessions as (
    select * from {{ this }}
),

-- the landing partitions int_events_unified re-read: their devices may have new events (all when empty)
reprocess_window as (
    select
        {{ late_event_reprocess_from('max(last_received_at)') }} as reprocess_from_dt
    from stored_sessions
),
{%- endif %}

-- a device's stream: its anonymous_id, or the login for events sent without one (server-side calls)
streamed as {{ not_materialized() }} (
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

stream_pairs as (
    select distinct
        person_id,
        device_id
    from device_logins
),

-- each stream (a person on a device) as one integer: the windows below partition and sort by it alone,
-- where two texts would be compared on every step within a stream
streams as (
    select
        person_id,
        device_id,
        row_number() over (order by person_id, device_id) as stream_key
    from stream_pairs
),

{%- if is_incremental() %}

stored_identities as (
    select distinct
        device_id,
        identity_fingerprint
    from stored_sessions
),

-- rebuilt whole: a login moved the device to another person (or the device is new)
devices_with_moved_identity as (
    select device_identities.device_id
    from device_identities
    left join stored_identities
        on device_identities.device_id = stored_identities.device_id
    where
        stored_identities.identity_fingerprint is null
        or stored_identities.identity_fingerprint != device_identities.identity_fingerprint
),

-- each stream's earliest event in the re-read partitions
window_streams as (
    select
        streamed.person_id,
        streamed.device_id,
        min(streamed.occurred_at) as first_window_event_at
    from streamed
    where
        streamed.dt >= (select reprocess_window.reprocess_from_dt from reprocess_window)
        and streamed.device_id not in (select devices_with_moved_identity.device_id from devices_with_moved_identity)
    group by
        streamed.person_id,
        streamed.device_id
),

-- where each such stream is sessionized again: the start of its first stored session ending within the
-- timeout of that event (a later session, when the event is late), else the event itself
stream_tails as (
    select
        window_streams.person_id,
        window_streams.device_id,
        least(
            window_streams.first_window_event_at,
            coalesce(min(stored_sessions.session_start_at), window_streams.first_window_event_at)
        ) as rebuild_from_at
    from window_streams
    left join stored_sessions
        on
            window_streams.device_id = stored_sessions.device_id
            and coalesce(window_streams.person_id, '') = coalesce(stored_sessions.person_id, '')
            and stored_sessions.session_end_at >= {{ add_minutes(
                'window_streams.first_window_event_at', -(var('session_inactivity_minutes') | int)
            ) }}
    group by
        window_streams.person_id,
        window_streams.device_id,
        window_streams.first_window_event_at
),

events_to_sessionize as (
    select streamed.*
    from streamed
    where streamed.device_id in (select devices_with_moved_identity.device_id from devices_with_moved_identity)

    union all

    select streamed.*
    from streamed
    inner join stream_tails
        on
            streamed.device_id = stream_tails.device_id
            and coalesce(streamed.person_id, '') = coalesce(stream_tails.person_id, '')
            and streamed.occurred_at >= stream_tails.rebuild_from_at
),
{%- endif %}

{%- for b in bucket_suffixes %}

-- only the columns sessions are made of, with their stream's key; read twice below (the windows, the join
-- back), so a full build streams it from the table twice rather than copy every event (it spills)
scoped_events{{ b }} as {{ not_materialized() if not is_incremental() }} (
    select
        streams.stream_key,
        streamed.event_id,
        streamed.anonymous_id,
        streamed.resolved_via,
        streamed.event_source,
        streamed.event_type,
        streamed.occurred_at,
        streamed.received_at,
        streamed.scroll_percent,
        streamed.video_seconds,
        streamed.page_path,
        streamed.referrer,
        streamed.referrer_host,
        streamed.device_type
    from {{ 'events_to_sessionize' if is_incremental() else 'streamed' }} as streamed
    inner join streams
        on
            streamed.device_id = streams.device_id
            and coalesce(streamed.person_id, '') = coalesce(streams.person_id, '')
    {%- if buckets > 1 %}
    where {{ hash_bucket('streamed.device_id', buckets) }} = {{ loop.index0 }}
    {%- endif %}
),

-- The windows see only each event's id, stream key and time: a window sorts and carries every column it is
-- given, so the session number is found on narrow rows and joined back to the events by id (about half
-- the work of windows over the whole event). Ordered by time alone: events sharing a timestamp are
-- 0 seconds apart and always fall in one session, whatever their order, so the sort needs no tie-breaker.
-- The running count uses the default range frame, which gives tied events the same session number.
with_previous{{ b }} as (
    select
        event_id,
        stream_key,
        occurred_at,
        lag(occurred_at) over (
            partition by stream_key
            order by occurred_at
        ) as previous_occurred_at
    from scoped_events{{ b }}
),

-- a gap of exactly the inactivity timeout continues the session; one second more starts a new one
flagged{{ b }} as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ add_minutes('previous_occurred_at', var('session_inactivity_minutes')) }} then 1
            else 0
        end as is_session_start
    from with_previous{{ b }}
),

session_numbers{{ b }} as (
    select
        event_id,
        sum(is_session_start) over (
            partition by stream_key
            order by occurred_at
        ) as session_number
    from flagged{{ b }}
),

numbered{{ b }} as (
    select
        scoped_events.*,
        session_numbers.session_number
    from scoped_events{{ b }} as scoped_events
    inner join session_numbers{{ b }} as session_numbers
        on scoped_events.event_id = session_numbers.event_id
),

-- one row per session, its landing page taken from its first page view (aggregates, no window); the
-- session id is hashed once per session rather than once per event
{%- set first_page = ['occurred_at', 'event_id'] %}
{%- set is_page = "event_source = 'page'" %}
sessions{{ b }} as (
    select
        stream_key,
        session_number,
        min(anonymous_id) as anonymous_id,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        max(received_at) as last_received_at,
        sum(case when event_source = 'page' then 1 else 0 end) as page_view_count,
        sum(case when event_source = 'event' then 1 else 0 end) as event_count,
        max(scroll_percent) as max_scroll_percent,
        coalesce({{ ordered_sum('video_seconds') }}, 0) as video_seconds,
        max(case when event_type = 'checkout_start' then 1 else 0 end) = 1 as has_checkout_start,
        max(case when resolved_via = 'user_id' then 1 else 0 end) = 1 as is_logged_in,
        {{ value_at_min('page_path', first_page, is_page) }} as landing_page_path,
        {{ value_at_min('referrer', first_page, is_page) }} as referrer,
        {{ value_at_min('referrer_host', first_page, is_page) }} as referrer_host,
        {{ value_at_min('device_type', first_page, is_page) }} as device_type
    from numbered{{ b }}
    group by
        stream_key,
        session_number
),

keyed_sessions{{ b }} as (
    select
        sessions.*,
        streams.person_id,
        streams.device_id,
        {{ sha256_hex(
            "coalesce(streams.person_id, '') || '|' || streams.device_id || '|' "
            ~ "|| cast(sessions.session_start_at as string)"
        ) }} as session_id,
        device_identities.identity_fingerprint
    from sessions{{ b }} as sessions
    inner join streams
        on sessions.stream_key = streams.stream_key
    inner join device_identities
        on streams.device_id = device_identities.device_id
),

final{{ b }} as (
    select
        cast(sessions.session_id as string) as session_id,
        cast(sessions.person_id as string) as person_id,
        cast(sessions.device_id as string) as device_id,
        cast(sessions.anonymous_id as string) as anonymous_id,
        cast(sessions.session_start_at as timestamp) as session_start_at,
        cast(sessions.session_end_at as timestamp) as session_end_at,
        cast(
            {{ datediff('sessions.session_start_at', 'sessions.session_end_at', 'second') }} as bigint
        ) as duration_s,
        cast(sessions.page_view_count as bigint) as page_view_count,
        cast(sessions.event_count as bigint) as event_count,
        cast(sessions.max_scroll_percent as double) as max_scroll_percent,
        cast(sessions.video_seconds as double) as video_seconds,
        cast(sessions.landing_page_path as string) as landing_page_path,
        cast(sessions.referrer as string) as referrer,
        cast(sessions.referrer_host as string) as referrer_host,
        cast(sessions.device_type as string) as device_type,
        cast(sessions.has_checkout_start as boolean) as has_checkout_start,
        cast(sessions.is_logged_in as boolean) as is_logged_in,
        cast(sessions.last_received_at as timestamp) as last_received_at,
        cast(sessions.identity_fingerprint as string) as identity_fingerprint
    from keyed_sessions{{ b }} as sessions
){{ ',' if not loop.last }}
{%- endfor %}

{% for b in bucket_suffixes -%}
select * from final{{ b }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
