with

activity as (
    select * from {{ ref('int_persons_activity_summarized') }}
),

rfm as (
    select * from {{ ref('int_persons_rfm_scored') }}
),

preferences as (
    select * from {{ ref('int_persons_preferences_ranked') }}
),

attributes as (
    select * from {{ ref('int_persons_attributes_resolved') }}
),

tickets as (
    select * from {{ ref('int_persons_tickets_summarized') }}
),

consent as (
    select * from {{ ref('int_consent_current') }}
),

consent_flags as (
    select
        person_id,
    {% for purpose in known_values('consent_purpose') -%}
    max(case when purpose = '{{ purpose }}' and is_granted then 1 else 0 end) = 1
        as has_{{ purpose }}_consent{{ ',' if not loop.last }}
    {% endfor -%}
    from consent
    group by person_id
),

-- rank-based, so no unit or threshold is assumed: the share of people who take discounts less often,
-- and the share who pay relatively more; one component is enough, none leaves the score to imputation
price_components as (
    select
        activity.person_id,
        case
            when rfm.avg_discount_share is not null
                then percent_rank() over (
                    partition by rfm.avg_discount_share is null order by rfm.avg_discount_share
                )
        end as discount_rank,
        case
            when preferences.relative_price_level is not null
                then 1 - percent_rank() over (
                    partition by preferences.relative_price_level is null order by preferences.relative_price_level
                )
        end as budget_rank
    from activity
    left join rfm on activity.person_id = rfm.person_id
    left join preferences on activity.person_id = preferences.person_id
),

final as (
    select
        activity.person_id,
        attributes.anonymous_id_count,
        attributes.user_id_count,
        attributes.email_count,
        attributes.crm_contact_count,
        coalesce(attributes.has_user_id, false) as has_user_id,
        coalesce(attributes.has_email, false) as has_email,
        attributes.age_band,
        attributes.gender,
        attributes.country_code,
        attributes.loyalty_tier,
        coalesce(attributes.is_email_opted_out, false) as is_email_opted_out,
        activity.first_seen_at,
        activity.last_seen_at,
        activity.days_since_first_seen,
        activity.days_since_last_seen,
        rfm.first_order_at,
        rfm.last_order_at,
        rfm.recency_days,
        coalesce(rfm.frequency_orders, 0) as frequency_orders,
        coalesce(rfm.monetary_usd, 0) as monetary_usd,
        rfm.avg_order_value_usd,
        rfm.primary_order_currency,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        activity.session_count,
        activity.sessions_7d,
        activity.sessions_30d,
        activity.sessions_90d,
        activity.active_days_7d,
        activity.active_days_30d,
        activity.active_days_90d,
        activity.avg_session_duration_s,
        activity.avg_events_per_session,
        activity.avg_scroll_percent,
        activity.max_scroll_percent,
        activity.video_seconds,
        activity.converted_session_count,
        activity.product_view_count,
        activity.add_to_cart_count,
        activity.search_count,
        activity.feature_use_count,
        activity.recommendation_click_count,
        activity.cart_abandon_rate,
        preferences.top_categories,
        preferences.top_brands,
        preferences.preference_tags,
        rfm.avg_discount_share,
        preferences.relative_price_level,
        case
            when price_components.discount_rank is not null or price_components.budget_rank is not null
                then
                    (coalesce(price_components.discount_rank, 0) + coalesce(price_components.budget_rank, 0))
                    / (
                        case when price_components.discount_rank is not null then 1 else 0 end
                        + case when price_components.budget_rank is not null then 1 else 0 end
                    )
        end as price_sensitivity,
        coalesce(tickets.ticket_count, 0) as ticket_count,
        tickets.avg_ticket_sentiment,
        coalesce(tickets.negative_ticket_count, 0) as negative_ticket_count,
        tickets.mentioned_brands,
        tickets.mentioned_product_ids,
        {% for purpose in known_values('consent_purpose') -%}
        coalesce(consent_flags.has_{{ purpose }}_consent, false) as has_{{ purpose }}_consent,
        {% endfor -%}
        activity.as_of_at
    from activity
    left join attributes on activity.person_id = attributes.person_id
    left join rfm on activity.person_id = rfm.person_id
    left join preferences on activity.person_id = preferences.person_id
    left join tickets on activity.person_id = tickets.person_id
    left join consent_flags on activity.person_id = consent_flags.person_id
    left join price_components on activity.person_id = price_components.person_id
)

select * from final
