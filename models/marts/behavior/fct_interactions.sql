{{ config(tags=['person_level']) }}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

person_items as (
    select
        person_id,
        item_id,
        -- each term fixed to 9 decimals: a decimal sum is exact, so it does not depend on the order the
        -- engine adds the terms in (a float sum can differ in the last bit between two equal builds)
        sum(cast(weight as decimal(18, 9))) as interaction_weight,
        sum(case when interaction_type = 'product_view' then 1 else 0 end) as view_count,
        sum(case when interaction_type = 'recommendation_click' then 1 else 0 end) as recommendation_click_count,
        sum(case when interaction_type = 'add_to_cart' then 1 else 0 end) as cart_count,
        sum(case when interaction_type = 'remove_from_cart' then 1 else 0 end) as cart_removal_count,
        sum(case when interaction_type = 'checkout_start' then 1 else 0 end) as checkout_start_count,
        sum(case when interaction_type = 'purchase' then 1 else 0 end) as purchase_count,
        sum(case when interaction_type = 'refund' then 1 else 0 end) as refund_count,
        min(occurred_at) as first_interaction_at,
        max(occurred_at) as last_interaction_at,
        max(case when interaction_type = 'purchase' and not is_reversed then occurred_at end) as last_purchased_at
    from interactions
    group by
        person_id,
        item_id
),

-- weights rounded to 6 decimals for readers; the exact decimal sum above makes them reproducible
final as (
    select
        cast({{ sha256_hex("person_items.person_id || '|' || person_items.item_id") }} as varchar) as person_item_id,
        cast(person_items.person_id as varchar) as person_id,
        cast(person_items.item_id as varchar) as item_id,
        cast(round(person_items.interaction_weight, 6) as double) as interaction_weight,
        cast(person_items.view_count as bigint) as view_count,
        cast(person_items.recommendation_click_count as bigint) as recommendation_click_count,
        cast(person_items.cart_count as bigint) as cart_count,
        cast(person_items.cart_removal_count as bigint) as cart_removal_count,
        cast(person_items.checkout_start_count as bigint) as checkout_start_count,
        cast(person_items.purchase_count as bigint) as purchase_count,
        cast(person_items.refund_count as bigint) as refund_count,
        cast(person_items.last_purchased_at is not null as boolean) as has_purchased,
        cast(person_items.first_interaction_at as timestamp) as first_interaction_at,
        cast(person_items.last_interaction_at as timestamp) as last_interaction_at,
        cast(person_items.last_purchased_at as timestamp) as last_purchased_at,
        cast(as_of.as_of_at as timestamp) as as_of_at
    from person_items
    cross join as_of
)

select * from final
