{{ config(tags=['person_level']) }}

{#- The taste signal of segmentation: consented interaction weight per person and catalog category. -#}
with

interactions as (
    select * from {{ ref('int_interactions_consented') }}
),

products as (
    select * from {{ ref('stg_catalog__products') }}
),

person_categories as (
    select
        interactions.person_id,
        products.category,
        cast(sum(cast(interactions.interaction_weight as decimal(18, 9))) as double) as weight
    from interactions
    inner join products on interactions.item_id = products.product_id
    where
        interactions.person_id is not null
        and products.category is not null
    group by
        interactions.person_id,
        products.category
),

-- a net weight of zero or less (views outweighed by refunds) says nothing about taste
final as (
    select
        person_id || '|' || category as person_category_id,
        person_id,
        category,
        round(weight, 6) as weight
    from person_categories
    where weight > 0
)

select * from final
