with

features as (
    select * from {{ ref('int_person_features') }}
),

completed as (
    select * from {{ ref('int_person_features_imputed') }}
),

segments as (
    select * from {{ ref('dim_customer_segments') }}
),

final as (
    select
        cast(features.person_id as string) as person_id,
        cast(features.anonymous_id_count as integer) as anonymous_id_count,
        cast(features.user_id_count as integer) as user_id_count,
        cast(features.email_count as integer) as email_count,
        cast(features.crm_contact_count as integer) as crm_contact_count,
        cast(features.has_user_id as boolean) as has_user_id,
        cast(features.has_email as boolean) as has_email,
        cast(completed.age_band as string) as age_band,
        cast(completed.age_band_is_imputed as boolean) as age_band_is_imputed,
        cast(features.gender as string) as gender,
        cast(completed.country_code as string) as country_code,
        cast(completed.country_code_is_imputed as boolean) as country_code_is_imputed,
        cast(features.loyalty_tier as string) as loyalty_tier,
        cast(features.is_email_opted_out as boolean) as is_email_opted_out,
        cast(features.has_analytics_consent as boolean) as has_analytics_consent,
        cast(features.has_personalization_consent as boolean) as has_personalization_consent,
        cast(features.has_marketing_consent as boolean) as has_marketing_consent,
        cast(features.first_seen_at as timestamp) as first_seen_at,
        cast(features.last_seen_at as timestamp) as last_seen_at,
        cast(features.days_since_first_seen as integer) as days_since_first_seen,
        cast(features.days_since_last_seen as integer) as days_since_last_seen,
        cast(features.first_order_at as timestamp) as first_order_at,
        cast(features.last_order_at as timestamp) as last_order_at,
        cast(features.recency_days as integer) as recency_days,
        cast(features.frequency_orders as integer) as frequency_orders,
        cast(features.monetary_usd as double) as monetary_usd,
        cast(features.avg_order_value_usd as double) as avg_order_value_usd,
        cast(features.primary_order_currency as string) as primary_order_currency,
        cast(features.r_score as integer) as r_score,
        cast(features.f_score as integer) as f_score,
        cast(features.m_score as integer) as m_score,
        cast(features.rfm_cell as string) as rfm_cell,
        cast(features.session_count as integer) as session_count,
        cast(features.sessions_7d as integer) as sessions_7d,
        cast(features.sessions_30d as integer) as sessions_30d,
        cast(features.sessions_90d as integer) as sessions_90d,
        cast(features.active_days_7d as integer) as active_days_7d,
        cast(features.active_days_30d as integer) as active_days_30d,
        cast(features.active_days_90d as integer) as active_days_90d,
        cast(features.avg_session_duration_s as double) as avg_session_duration_s,
        cast(features.avg_events_per_session as double) as avg_events_per_session,
        cast(features.avg_scroll_percent as double) as avg_scroll_percent,
        cast(features.max_scroll_percent as double) as max_scroll_percent,
        cast(features.video_seconds as double) as video_seconds,
        cast(features.converted_session_count as integer) as converted_session_count,
        cast(features.product_view_count as integer) as product_view_count,
        cast(features.add_to_cart_count as integer) as add_to_cart_count,
        cast(features.search_count as integer) as search_count,
        cast(features.feature_use_count as integer) as feature_use_count,
        cast(features.recommendation_click_count as integer) as recommendation_click_count,
        cast(features.cart_abandon_rate as double) as cart_abandon_rate,
        cast(features.top_categories as {{ array_type('string') }}) as top_categories,
        cast(features.top_brands as {{ array_type('string') }}) as top_brands,
        cast(features.preference_tags as {{ array_type('string') }}) as preference_tags,
        cast(features.avg_discount_share as double) as avg_discount_share,
        cast(features.relative_price_level as double) as relative_price_level,
        cast(completed.price_sensitivity as double) as price_sensitivity,
        cast(completed.price_sensitivity_is_imputed as boolean) as price_sensitivity_is_imputed,
        cast(features.ticket_count as integer) as ticket_count,
        cast(features.avg_ticket_sentiment as double) as avg_ticket_sentiment,
        cast(features.negative_ticket_count as integer) as negative_ticket_count,
        cast(features.mentioned_brands as {{ array_type('string') }}) as mentioned_brands,
        cast(features.mentioned_product_ids as {{ array_type('string') }}) as mentioned_product_ids,
        cast(segments.segment_id as string) as segment_id,
        cast(segments.segment_name as string) as segment_name,
        cast(completed.demographics_observed_count as integer) as demographics_observed_count,
        cast(completed.profile_confidence as double) as profile_confidence,
        cast(completed.is_low_confidence as boolean) as is_low_confidence,
        cast(features.as_of_at as timestamp) as profile_updated_at
    from features
    inner join completed on features.person_id = completed.person_id
    left join segments on features.person_id = segments.person_id
)

select * from final
