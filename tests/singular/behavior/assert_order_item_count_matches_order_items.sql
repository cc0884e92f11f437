-- An order's item and line counts equal what its clean order items add up to.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

order_items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

item_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count
    from order_items
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.line_count,
        orders.item_count,
        item_totals.line_count as expected_line_count,
        item_totals.item_count as expected_item_count
    from orders
    left join item_totals
        on orders.order_id = item_totals.order_id
    where
        orders.line_count != coalesce(item_totals.line_count, 0)
        or orders.item_count != coalesce(item_totals.item_count, 0)
)

select * from final
