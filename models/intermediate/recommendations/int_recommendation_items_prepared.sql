{#- The catalog as the recommenders see it, one row per product: the text content-based filtering reads and
    whether the product may be recommended at all (inactive products never are). -#}
with

products as (
    select * from {{ ref('stg_catalog__products') }}
),

final as (
    select
        cast(product_id as string) as item_id,
        cast(title as string) as title,
        cast(description as string) as description,
        cast(category as string) as category,
        cast(brand as string) as brand,
        cast(tags as {{ array_type('string') }}) as tags,
        cast(price_usd as double) as price_usd,
        cast(coalesce(is_active, false) as boolean) as is_active
    from products
)

select * from final
