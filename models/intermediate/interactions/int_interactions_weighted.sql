{{ config(materialized='table', tags=['person_level']) }}

{#- Rebuilt in full every run: the decay moves with the as-of date and the persons with the identity map,
    so every weight can change on every run. A table, not a view: four models and nine tests read it, and
    as a view each of them would recompute it from every event. -#}
with

events as (
    select * from {{ ref('int_events_identified') }}
),

orders as (
    select * from {{ ref('int_orders_identified') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

event_weights as (
    select * from {{ ref('event_weights') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

item_events as (
    select
        event_id as interaction_id,
        person_id,
        item_id,
        event_type as interaction_type,
        occurred_at,
        received_at as known_at,
        false as is_reversed,
        resolved_via as identifier_type,
        case when resolved_via = 'user_id' then user_id else anonymous_id end as identifier_value
    from events
    where
        item_id is not null
        and person_id is not null
),

-- a refund after the as-of date was not known then: the purchase stands
ordered_lines as (
    select
        order_items.order_item_id,
        order_items.product_id,
        orders.person_id,
        orders.resolved_via,
        orders.resolved_identifier,
        orders.ordered_at,
        coalesce(orders.updated_at, orders.ordered_at) as refunded_at,
        orders.is_refunded
        and coalesce(orders.updated_at, orders.ordered_at) <= as_of.as_of_at as is_refund_known
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    cross join as_of
    where
        orders.person_id is not null
        and not orders.is_cancelled
),

purchases as (
    select
        order_item_id as interaction_id,
        person_id,
        product_id as item_id,
        'purchase' as interaction_type,
        ordered_at as occurred_at,
        ordered_at as known_at,
        is_refund_known as is_reversed,
        resolved_via as identifier_type,
        resolved_identifier as identifier_value
    from ordered_lines
),

-- a refund is its own, later interaction; the purchase it reverses keeps its own (decayed) weight
refunds as (
    select
        order_item_id || ':refund' as interaction_id,
        person_id,
        product_id as item_id,
        'refund' as interaction_type,
        refunded_at as occurred_at,
        refunded_at as known_at,
        false as is_reversed,
        resolved_via as identifier_type,
        resolved_identifier as identifier_value
    from ordered_lines
    where is_refund_known
),

interactions as (
    select * from item_events
    union all
    select * from purchases
    union all
    select * from refunds
),

-- only what was known at the as-of date counts
known_interactions as (
    select
        interactions.*,
        as_of.as_of_at
    from interactions
    cross join as_of
    where interactions.known_at <= as_of.as_of_at
),

weighted as (
    select
        known_interactions.*,
        event_weights.weight as base_weight,
        greatest(
            {{ datediff('known_interactions.occurred_at', 'known_interactions.as_of_at', 'second') }},
            0
        ) / 86400.0 as age_days
    from known_interactions
    inner join event_weights
        on known_interactions.interaction_type = event_weights.event_type
),

final as (
    select
        cast(interaction_id as string) as interaction_id,
        cast(person_id as string) as person_id,
        cast(item_id as string) as item_id,
        cast(interaction_type as string) as interaction_type,
        cast(occurred_at as timestamp) as occurred_at,
        cast(known_at as timestamp) as known_at,
        cast(is_reversed as boolean) as is_reversed,
        cast(identifier_type as string) as identifier_type,
        cast(identifier_value as string) as identifier_value,
        cast(base_weight as double) as base_weight,
        cast(age_days as double) as age_days,
        cast(
            round(base_weight * exp(-ln(2) * age_days / {{ var('interaction_half_life_days') }}), 9) as double
        ) as weight
    from weighted
)

select * from final
