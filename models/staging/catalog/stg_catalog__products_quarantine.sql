with

products as (

    select * from {{ ref('base_catalog__products') }}

),

final as (

    select
        product_id,
        quarantine_reason,
        raw_record

    from products
    where quarantine_reason is not null

)

select * from final
