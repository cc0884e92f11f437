{%- set top_n = var('preference_top_n') -%}
with

interactions as (
    select * from {{ ref('int_person_items_summed') }}
),

products as (
    select * from {{ ref('stg_catalog__products') }}
),

category_prices as (
    select
        category,
        percentile_cont(0.5) within group (order by price_usd) as median_price_usd
    from products
    where category is not null and price_usd > 0
    group by category
),

weighted_items as (
    select
        interactions.person_id,
        interactions.interaction_weight as weight,
        products.category,
        products.brand,
        products.price_usd / category_prices.median_price_usd as relative_price
    from interactions
    inner join products on interactions.item_id = products.product_id
    left join category_prices on products.category = category_prices.category
    where interactions.person_id is not null and interactions.interaction_weight > 0
),

category_affinity as (
    select
        person_id,
        category,
        cast(sum(cast(weight as decimal(18, 9))) as double) as affinity
    from weighted_items
    where category is not null
    group by person_id, category
),

brand_affinity as (
    select
        person_id,
        brand,
        cast(sum(cast(weight as decimal(18, 9))) as double) as affinity
    from weighted_items
    where brand is not null
    group by person_id, brand
),

-- the name breaks ties so equal affinities always rank the same way
category_ranked as (
    select
        person_id,
        category,
        affinity,
        row_number() over (partition by person_id order by affinity desc, category asc) as affinity_rank
    from category_affinity
),

brand_ranked as (
    select
        person_id,
        brand,
        affinity,
        row_number() over (partition by person_id order by affinity desc, brand asc) as affinity_rank
    from brand_affinity
),

top_categories as (
    select
        person_id,
        {{ ordered_array_agg('category', ['affinity_rank']) }} as top_categories
    from category_ranked
    where affinity_rank <= {{ top_n }}
    group by person_id
),

top_brands as (
    select
        person_id,
        {{ ordered_array_agg('brand', ['affinity_rank']) }} as top_brands
    from brand_ranked
    where affinity_rank <= {{ top_n }}
    group by person_id
),

-- activation-ready tags: 'category:<slug>' then 'brand:<slug>', each in affinity order
tags as (
    select
        person_id,
        1 as tag_kind_order,
        affinity_rank,
        'category:' || replace(lower(trim(category)), ' ', '_') as tag
    from category_ranked
    where affinity_rank <= {{ top_n }}
    union all
    select
        person_id,
        2 as tag_kind_order,
        affinity_rank,
        'brand:' || replace(lower(trim(brand)), ' ', '_') as tag
    from brand_ranked
    where affinity_rank <= {{ top_n }}
),

preference_tags as (
    select
        person_id,
        {{ ordered_array_agg('tag', ['tag_kind_order', 'affinity_rank']) }} as preference_tags
    from tags
    group by person_id
),

price_levels as (
    select
        person_id,
        {{ ordered_sum('weight * relative_price') }} / {{ ordered_sum('weight') }} as relative_price_level
    from weighted_items
    where relative_price is not null
    group by person_id
),

persons as (
    select distinct person_id from weighted_items
),

final as (
    select
        persons.person_id,
        top_categories.top_categories,
        top_brands.top_brands,
        preference_tags.preference_tags,
        price_levels.relative_price_level
    from persons
    left join top_categories on persons.person_id = top_categories.person_id
    left join top_brands on persons.person_id = top_brands.person_id
    left join preference_tags on persons.person_id = preference_tags.person_id
    left join price_levels on persons.person_id = price_levels.person_id
)

select * from final
