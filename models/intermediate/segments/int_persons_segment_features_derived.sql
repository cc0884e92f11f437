{{ config(tags=['person_level']) }}

{#- The segmentation input: one row per profiled person, columns named as tailor.segments expects them
    (its naming rules speak of sessions_90d, recency_days, discount_share, video_seconds_90d, ...). -#}
{%- set window_days = 90 %}

with

features as (
    select * from {{ ref('int_person_features') }}
),

completed as (
    select * from {{ ref('int_person_features_imputed') }}
),

events as (
    select * from {{ ref('int_events_identified') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

-- the same calendar window as the profile's *_90d measures: the as-of date and the 89 days before it
recent_events as (
    select
        events.person_id,
        events.event_type,
        events.video_seconds
    from events
    cross join as_of
    where
        events.person_id is not null
        and events.occurred_at <= as_of.as_of_at
        and {{ datediff('cast(events.occurred_at as date)', 'as_of.as_of_date', 'day') }} < {{ window_days }}
),

recent_engagement as (
    select
        person_id,
        coalesce({{ ordered_sum('video_seconds') }}, 0) as video_seconds_{{ window_days }}d,
        count(case when event_type = 'feature_use' then 1 end) as feature_uses_{{ window_days }}d
    from recent_events
    group by person_id
),

final as (
    select
        features.person_id,
        features.recency_days,
        features.frequency_orders,
        features.monetary_usd,
        features.avg_order_value_usd,
        features.avg_discount_share as discount_share,
        features.sessions_30d,
        features.sessions_90d,
        features.active_days_30d,
        features.active_days_90d,
        features.avg_session_duration_s,
        features.avg_events_per_session as events_per_session,
        features.avg_scroll_percent,
        coalesce(recent_engagement.video_seconds_90d, 0) as video_seconds_90d,
        coalesce(recent_engagement.feature_uses_90d, 0) as feature_uses_90d,
        features.cart_abandon_rate,
        completed.price_sensitivity,
        completed.price_sensitivity_is_imputed,
        features.ticket_count as support_tickets,
        features.avg_ticket_sentiment as avg_sentiment,
        features.days_since_first_seen,
        features.days_since_last_seen,
        -- per-session rates describe how someone behaves whatever how often they come: lifetime over lifetime
        features.frequency_orders * 1.0 / nullif(features.session_count, 0) as orders_per_session,
        features.video_seconds * 1.0 / nullif(features.session_count, 0) as video_seconds_per_session,
        features.product_view_count * 1.0 / nullif(features.session_count, 0) as product_views_per_session,
        features.search_count * 1.0 / nullif(features.session_count, 0) as searches_per_session,
        completed.age_band,
        completed.age_band_is_imputed,
        completed.country_code,
        completed.country_code_is_imputed,
        features.loyalty_tier,
        completed.profile_confidence,
        completed.profile_confidence < {{ setting('segments', 'min_profile_confidence') }} as is_low_confidence,
        features.as_of_at
    from features
    inner join completed on features.person_id = completed.person_id
    left join recent_engagement on features.person_id = recent_engagement.person_id
)

select * from final
