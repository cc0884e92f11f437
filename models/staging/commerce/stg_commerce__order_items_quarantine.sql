with

order_items as (

    select * from {{ ref('base_commerce__order_items') }}

),

final as (

    select
        order_item_id,
        quarantine_reason,
        raw_record

    from order_items
    where quarantine_reason is not null

)

select * from final
