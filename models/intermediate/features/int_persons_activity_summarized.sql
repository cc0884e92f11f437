{%- set windows = [7, 30, 90] -%}
with

sessions as {{ not_materialized() }} (
    select * from {{ ref('int_sessions_converted') }}
),

events as {{ not_materialized() }} (
    select * from {{ ref('int_events_identified') }}
),

orders as (
    select * from {{ ref('int_orders_priced') }}
),

interactions as (
    select * from {{ ref('int_person_items_summed') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

sessions_until_as_of as {{ not_materialized() }} (
    select
        sessions.person_id,
        sessions.session_start_at,
        sessions.duration_s,
        sessions.event_count,
        sessions.max_scroll_percent,
        sessions.video_seconds,
        sessions.is_converted,
        cast(sessions.session_start_at as date) as session_date,
        {{ datediff('cast(sessions.session_start_at as date)', 'as_of.as_of_date', 'day') }} as days_before_as_of
    from sessions
    cross join as_of
    where
        sessions.person_id is not null
        and sessions.session_start_at <= as_of.as_of_at
),

events_until_as_of as {{ not_materialized() }} (
    select
        events.person_id,
        events.event_type,
        events.occurred_at
    from events
    cross join as_of
    where
        events.person_id is not null
        and events.occurred_at <= as_of.as_of_at
),

orders_until_as_of as (
    select
        orders.person_id,
        orders.ordered_at
    from orders
    cross join as_of
    where
        orders.person_id is not null
        and orders.ordered_at <= as_of.as_of_at
),

session_features as (
    select
        person_id,
        count(*) as session_count,
        {% for days in windows -%}
        count(case when days_before_as_of < {{ days }} then 1 end) as sessions_{{ days }}d,
        count(distinct case when days_before_as_of < {{ days }} then session_date end) as active_days_{{ days }}d,
        {% endfor -%}
        avg(duration_s) as avg_session_duration_s,
        avg(event_count) as avg_events_per_session,
        {{ ordered_avg('max_scroll_percent') }} as avg_scroll_percent,
        max(max_scroll_percent) as max_scroll_percent,
        coalesce({{ ordered_sum('video_seconds') }}, 0) as video_seconds,
        count(case when is_converted then 1 end) as converted_session_count
    from sessions_until_as_of
    group by person_id
),

event_features as (
    select
        person_id,
        count(case when event_type = 'product_view' then 1 end) as product_view_count,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_cart_count,
        count(case when event_type = 'search' then 1 end) as search_count,
        count(case when event_type = 'feature_use' then 1 end) as feature_use_count,
        count(case when event_type = 'recommendation_click' then 1 end) as recommendation_click_count
    from events_until_as_of
    group by person_id
),

-- every timestamp that shows the person active: sessions, events and orders
seen as (
    select
        person_id,
        session_start_at as seen_at
    from sessions_until_as_of
    union all
    select
        person_id,
        occurred_at as seen_at
    from events_until_as_of
    union all
    select
        person_id,
        ordered_at as seen_at
    from orders_until_as_of
),

-- only persons of the identity map as retained: an erased person has no profile, whatever still names them
retained_persons as (
    select distinct person_id
    from identifiers
    where person_id is not null
),

active_persons as (
    select
        seen.person_id,
        min(seen.seen_at) as first_seen_at,
        max(seen.seen_at) as last_seen_at
    from seen
    inner join retained_persons on seen.person_id = retained_persons.person_id
    group by seen.person_id
),

-- abandonment at item level: of the items a person put in a cart, the share they never bought
cart_features as (
    select
        person_id,
        count(case when cart_count > 0 then 1 end) as carted_item_count,
        count(case when cart_count > 0 and not has_purchased then 1 end) as abandoned_item_count
    from interactions
    where person_id is not null
    group by person_id
),

final as (
    select
        active_persons.person_id,
        as_of.as_of_at,
        active_persons.first_seen_at,
        active_persons.last_seen_at,
        {{ datediff('cast(active_persons.first_seen_at as date)', 'as_of.as_of_date', 'day') }}
            as days_since_first_seen,
        {{ datediff('cast(active_persons.last_seen_at as date)', 'as_of.as_of_date', 'day') }}
            as days_since_last_seen,
        coalesce(session_features.session_count, 0) as session_count,
        {% for days in windows -%}
        coalesce(session_features.sessions_{{ days }}d, 0) as sessions_{{ days }}d,
        coalesce(session_features.active_days_{{ days }}d, 0) as active_days_{{ days }}d,
        {% endfor -%}
        session_features.avg_session_duration_s,
        session_features.avg_events_per_session,
        session_features.avg_scroll_percent,
        session_features.max_scroll_percent,
        coalesce(session_features.video_seconds, 0) as video_seconds,
        coalesce(session_features.converted_session_count, 0) as converted_session_count,
        coalesce(event_features.product_view_count, 0) as product_view_count,
        coalesce(event_features.add_to_cart_count, 0) as add_to_cart_count,
        coalesce(event_features.search_count, 0) as search_count,
        coalesce(event_features.feature_use_count, 0) as feature_use_count,
        coalesce(event_features.recommendation_click_count, 0) as recommendation_click_count,
        case
            when cart_features.carted_item_count > 0
                then cart_features.abandoned_item_count * 1.0 / cart_features.carted_item_count
        end as cart_abandon_rate
    from active_persons
    cross join as_of
    left join session_features on active_persons.person_id = session_features.person_id
    left join event_features on active_persons.person_id = event_features.person_id
    left join cart_features on active_persons.person_id = cart_features.person_id
)

select * from final
