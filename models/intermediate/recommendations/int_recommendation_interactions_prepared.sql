{{ config(tags=['person_level']) }}

{#- What the recommenders train and filter on, one row per person x item: the consented interaction weight
    (training signal) and every purchase the person still holds, consented or not (the purchase exclusion:
    what someone owns is never recommended back, whatever their consent). -#}
with

consented_interactions as (
    select * from {{ ref('int_interactions_consented') }}
),

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

purchases as (
    select
        person_id,
        item_id,
        max(occurred_at) as last_purchased_at
    from interactions
    where
        interaction_type = 'purchase'
        and not is_reversed
    group by
        person_id,
        item_id
),

final as (
    select
        cast(coalesce(consented_interactions.person_id, purchases.person_id) as string) as person_id,
        cast(coalesce(consented_interactions.item_id, purchases.item_id) as string) as item_id,
        cast(coalesce(consented_interactions.interaction_weight, 0.0) as double) as weight,
        cast(purchases.last_purchased_at is not null as boolean) as has_purchased,
        cast(consented_interactions.person_id is not null as boolean) as is_consented,
        cast(consented_interactions.last_interaction_at as timestamp) as last_interaction_at,
        cast(purchases.last_purchased_at as timestamp) as last_purchased_at
    from consented_interactions
    full outer join purchases
        on
            consented_interactions.person_id = purchases.person_id
            and consented_interactions.item_id = purchases.item_id
)

select * from final
