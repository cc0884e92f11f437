{{ config(tags=['person_level']) }}

{%- set inactivity_minutes = var('session_inactivity_minutes') %}

with

sessions as (
    select * from {{ ref('int_sessions_sessionized') }}
),

orders as (
    select * from {{ ref('int_orders_priced') }}
),

-- an order counts for a session when placed between its start and the moment it would have timed out
sessions_with_orders as (
    select distinct sessions.session_id
    from sessions
    inner join orders
        on
            sessions.person_id = orders.person_id
            and sessions.session_start_at <= orders.ordered_at
            and {{ add_minutes('sessions.session_end_at', inactivity_minutes) }} >= orders.ordered_at
),

final as (
    select
        sessions.session_id,
        sessions.person_id,
        sessions.anonymous_id,
        sessions.session_start_at,
        sessions.session_end_at,
        sessions.duration_s,
        sessions.page_view_count,
        sessions.event_count,
        sessions.max_scroll_percent,
        sessions.video_seconds,
        sessions.landing_page_path,
        sessions.referrer,
        sessions.referrer_host,
        sessions.device_type,
        sessions.is_logged_in,
        sessions.has_checkout_start,
        sessions_with_orders.session_id is not null as has_order,
        sessions.has_checkout_start or sessions_with_orders.session_id is not null as is_converted
    from sessions
    left join sessions_with_orders
        on sessions.session_id = sessions_with_orders.session_id
)

select * from final
