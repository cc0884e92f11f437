{{ config(tags=['person_level']) }}

with

orders as (
    select * from {{ ref('int_orders_identified') }}
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

-- the latest published rate of each currency converts every order
latest_rates as (
    select
        currency_code,
        usd_per_unit,
        row_number() over (partition by currency_code order by rate_date desc) as rate_rank
    from currency_rates
),

final as (
    select
        cast(orders.order_id as string) as order_id,
        cast(orders.person_id as string) as person_id,
        cast(orders.customer_id as string) as customer_id,
        cast(orders.order_status as string) as order_status,
        cast(orders.is_refunded as boolean) as is_refunded,
        cast(orders.is_cancelled as boolean) as is_cancelled,
        cast(orders.order_status = 'delivered' as boolean) as is_delivered,
        cast(orders.currency as string) as currency,
        cast(orders.subtotal * latest_rates.usd_per_unit as double) as subtotal_usd,
        cast(orders.discount_amount * latest_rates.usd_per_unit as double) as discount_usd,
        cast(orders.shipping_amount * latest_rates.usd_per_unit as double) as shipping_usd,
        cast(orders.total_amount_usd as double) as total_amount_usd,
        cast(orders.line_count as bigint) as line_count,
        cast(orders.item_count as bigint) as item_count,
        cast(
            case when orders.subtotal > 0 then coalesce(orders.discount_amount, 0) / orders.subtotal end as double
        ) as discount_share,
        cast(orders.ordered_at as timestamp) as ordered_at,
        cast(orders.updated_at as timestamp) as updated_at
    from orders
    left join latest_rates
        on
            orders.currency = latest_rates.currency_code
            and latest_rates.rate_rank = 1
)

select * from final
