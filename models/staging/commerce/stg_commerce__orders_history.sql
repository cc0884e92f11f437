with

orders as (

    select * from {{ ref('base_commerce__orders') }}

),

final as (

    select
        order_id,
        customer_id,
        email_hash,
        order_status,
        is_refunded,
        is_cancelled,
        currency,
        subtotal,
        discount_amount,
        shipping_amount,
        total_amount,
        total_amount_usd,
        ordered_at,
        updated_at

    from orders
    -- valid versions that a later valid version of the same key superseded
    where quarantine_reason is null and not is_latest_version

)

select * from final
