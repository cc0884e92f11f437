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
    where is_latest_version

)

select * from final
