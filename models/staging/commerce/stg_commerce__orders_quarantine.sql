with

orders as (

    select * from {{ ref('base_commerce__orders') }}

),

final as (

    select
        order_id,
        quarantine_reason,
        raw_record

    from orders
    where quarantine_reason is not null

)

select * from final
