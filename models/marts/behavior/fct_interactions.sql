{{ config(tags=['person_level']) }}

with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

person_items as (
    {{ aggregate_person_items('interactions') }}
),

-- weights rounded to 6 decimals for readers; the exact decimal sum above makes them reproducible
final as (
    select
        cast({{ sha256_hex("person_items.person_id || '|' || person_items.item_id") }} as string) as person_item_id,
        cast(person_items.person_id as string) as person_id,
        cast(person_items.item_id as string) as item_id,
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
