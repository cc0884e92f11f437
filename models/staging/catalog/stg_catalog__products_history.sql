with

products as (

    select * from {{ ref('base_catalog__products') }}

),

final as (

    select
        product_id,
        title,
        description,
        category,
        brand,
        price,
        currency,
        price_usd,
        tags,
        is_active,
        created_at,
        updated_at

    from products
    -- valid versions that a later valid version of the same key superseded
    where quarantine_reason is null and not is_latest_version

)

select * from final
