-- The interaction matrix counts each item event of an identified person once: its counts add up to the
-- events known at the as-of date (a duplicate or a lost join would break the equality).
with

events as (
    select * from {{ ref('int_events_identified') }}
),

interactions as (
    select * from {{ ref('fct_interactions') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

event_counts as (
    select
        sum(case when events.event_type = 'product_view' then 1 else 0 end) as view_total,
        sum(case when events.event_type = 'add_to_cart' then 1 else 0 end) as cart_total,
        sum(case when events.event_type = 'remove_from_cart' then 1 else 0 end) as cart_removal_total
    from events
    cross join as_of
    where
        events.person_id is not null
        and events.item_id is not null
        and events.received_at <= as_of.as_of_at
),

matrix_counts as (
    select
        sum(view_count) as view_total,
        sum(cart_count) as cart_total,
        sum(cart_removal_count) as cart_removal_total
    from interactions
),

final as (
    select
        event_counts.view_total as event_views,
        matrix_counts.view_total as matrix_views,
        event_counts.cart_total as event_carts,
        matrix_counts.cart_total as matrix_carts,
        event_counts.cart_removal_total as event_cart_removals,
        matrix_counts.cart_removal_total as matrix_cart_removals
    from event_counts
    cross join matrix_counts
    where
        coalesce(event_counts.view_total, 0) != coalesce(matrix_counts.view_total, 0)
        or coalesce(event_counts.cart_total, 0) != coalesce(matrix_counts.cart_total, 0)
        or coalesce(event_counts.cart_removal_total, 0) != coalesce(matrix_counts.cart_removal_total, 0)
)

select * from final
