{#- The catalog as the recommenders see it, one row per product: the text content-based filtering reads and
    whether the product may be recommended at all (inactive products never are). -#}
with

products as (
    select * from {{ ref('stg_catalog__products') }}
),

final as (
    select {{ recommendation_item_columns('products') }}
    from products
)

select * from final
