with

order_items as (

    select * from {{ ref('base_commerce__order_items') }}

),

final as (

    select
        order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        line_amount

    from order_items
    where quarantine_reason is null and not {{ is_erased_record('base_commerce__order_items') }}

)

select * from final
