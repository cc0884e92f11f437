{#- Nothing a person bought within var recommendations.purchase_exclusion_days before the as-of date (null: ever) is
    recommended back to them, whatever their consent. One row per offending recommendation. -#}
{%- set window_days = setting('recommendations', 'purchase_exclusion_days') %}

with

recommendations as (
    select * from {{ ref('fct_recommendations') }}
),

interactions as (
    select * from {{ ref('fct_interactions') }}
),

purchases as (
    select
        person_id,
        item_id,
        last_purchased_at
    from interactions
    where has_purchased
),

final as (
    select
        recommendations.person_id,
        recommendations.rank,
        recommendations.item_id,
        recommendations.rec_source,
        purchases.last_purchased_at,
        recommendations.generated_at
    from recommendations
    inner join purchases
        on
            recommendations.person_id = purchases.person_id
            and recommendations.item_id = purchases.item_id
    {%- if window_days is not none %}
    where purchases.last_purchased_at >= {{ dateadd('day', -1 * window_days, 'recommendations.generated_at') }}
    {%- endif %}
)

select * from final
