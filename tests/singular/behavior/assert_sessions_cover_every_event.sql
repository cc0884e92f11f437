-- Every event and page view lands in exactly one session: the sessions' counts add up to the events.
with

events as (
    select * from {{ ref('int_events_identified') }}
),

sessions as (
    select * from {{ ref('int_sessions_sessionized') }}
),

event_totals as (
    select
        sum(case when event_source = 'page' then 1 else 0 end) as page_views,
        sum(case when event_source = 'event' then 1 else 0 end) as behavioral_events
    from events
),

session_totals as (
    select
        coalesce(sum(page_view_count), 0) as page_views,
        coalesce(sum(event_count), 0) as behavioral_events
    from sessions
),

final as (
    select
        event_totals.page_views as event_page_views,
        session_totals.page_views as session_page_views,
        event_totals.behavioral_events as event_behavioral_events,
        session_totals.behavioral_events as session_behavioral_events
    from event_totals
    cross join session_totals
    where
        coalesce(event_totals.page_views, 0) != session_totals.page_views
        or coalesce(event_totals.behavioral_events, 0) != session_totals.behavioral_events
)

select * from final
