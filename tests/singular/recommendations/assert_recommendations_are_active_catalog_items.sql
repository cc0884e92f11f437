{#- Only active catalog products are ever recommended, to persons or as similar items. One row per offending
    row: the product is inactive or not in the catalog at all. -#}
with

recommendations as (
    select * from {{ ref('fct_recommendations') }}
),

similar_items as (
    select * from {{ ref('fct_similar_items') }}
),

products as (
    select * from {{ ref('stg_catalog__products') }}
),

recommended as (
    select
        'fct_recommendations' as model_name,
        recommendation_id as row_id,
        item_id
    from recommendations
    union all
    select
        'fct_similar_items' as model_name,
        similar_item_pair_id as row_id,
        similar_item_id as item_id
    from similar_items
),

final as (
    select
        recommended.model_name,
        recommended.row_id,
        recommended.item_id,
        case when products.product_id is null then 'not in the catalog' else 'inactive' end as problem
    from recommended
    left join products
        on recommended.item_id = products.product_id
    where
        products.product_id is null
        or not coalesce(products.is_active, false)
)

select * from final
