{{ config(materialized='table', tags=['person_level']) }}

{#- Reads the as-of-free stored item events (int_item_events_anchored) and applies what moves with the run:
    today's person of each login or device (as int_events_identified resolves them), the as-of filter, the
    refunds known by then and the decay to the as-of date (decay_anchored_weight). A table, not a view:
    four models and nine tests read it, and as a view each of them would redo the joins over every event. -#}
with

stored_item_events as (
    select * from {{ ref('int_item_events_anchored') }}
),

orders as (
    select * from {{ ref('int_orders_identified') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_retained') }}
),

event_weights as (
    select * from {{ ref('event_weights') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

{{ event_persons_ctes() }}

-- the login outranks the device, as in int_events_identified
item_events as (
    select
        stored_item_events.event_id as interaction_id,
        {{ event_person_id() }} as person_id,
        stored_item_events.item_id,
        stored_item_events.event_type as interaction_type,
        stored_item_events.occurred_at,
        stored_item_events.received_at as known_at,
        false as is_reversed,
        {{ event_resolved_via() }} as identifier_type,
        case
            when user_persons.person_id is not null then stored_item_events.user_id
            else stored_item_events.anonymous_id
        end as identifier_value,
        stored_item_events.anchored_decay_factor
    from stored_item_events
    {{ event_persons_joins('stored_item_events') }}
    where {{ event_person_id() }} is not null
),

-- a refund after the as-of date was not known then: the purchase stands. Purchases and refunds are known
-- from when the project had the order and its refunded version (int_orders_identified, arrival times)
ordered_lines as (
    select
        order_items.order_item_id,
        order_items.product_id,
        orders.person_id,
        orders.resolved_via,
        orders.resolved_identifier,
        orders.ordered_at,
        orders.known_at as ordered_known_at,
        orders.version_known_at as refund_known_at,
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
        ordered_known_at as known_at,
        is_refund_known as is_reversed,
        resolved_via as identifier_type,
        resolved_identifier as identifier_value,
        {{ anchored_decay_factor('ordered_at') }} as anchored_decay_factor
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
        refund_known_at as known_at,
        false as is_reversed,
        resolved_via as identifier_type,
        resolved_identifier as identifier_value,
        {{ anchored_decay_factor('refunded_at') }} as anchored_decay_factor
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
        greatest({{ days_between('known_interactions.occurred_at', 'known_interactions.as_of_at') }}, 0) as age_days
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
            {{ decay_anchored_weight('base_weight', 'anchored_decay_factor', 'occurred_at', 'as_of_at') }} as double
        ) as weight
    from weighted
)

select * from final
