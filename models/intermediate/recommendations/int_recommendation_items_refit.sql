{{ config(materialized='view') }}

{#- The catalog as the recommenders saw it at the refit instant, one row per product: the latest version
    (clean or superseded) updated before the instant, in int_recommendation_items_prepared's columns, and
    whether the product changed since (a recommended item that changed, e.g. became inactive, has its
    persons rescored). A view: read by the builds that refit and, for the changed flag, by every build. -#}
with

products as (
    select * from {{ ref('stg_catalog__products') }}
),

earlier_versions as (
    select * from {{ ref('stg_catalog__products_history') }}
),

refit as (
    select * from {{ ref('int_recommendation_refit_planned') }}
),

versions as (
    select
        product_id,
        title,
        description,
        category,
        brand,
        tags,
        price_usd,
        is_active,
        coalesce(updated_at, created_at) as version_at
    from products
    union all
    select
        product_id,
        title,
        description,
        category,
        brand,
        tags,
        price_usd,
        is_active,
        coalesce(updated_at, created_at) as version_at
    from earlier_versions
),

-- a version without any time counts as known from the start
timed as (
    select
        versions.*,
        coalesce(versions.version_at >= refit.refit_at, false) as is_after_refit
    from versions
    cross join refit
),

ranked as (
    select
        timed.*,
        row_number() over (
            partition by timed.product_id, timed.is_after_refit
            order by timed.version_at desc nulls last
        ) as recency_rank
    from timed
),

changed as (
    select distinct product_id
    from ranked
    where is_after_refit
),

at_refit as (
    select * from ranked
    where
        not is_after_refit
        and recency_rank = 1
),

final as (
    select
        {{ recommendation_item_columns('at_refit') }},
        cast(changed.product_id is not null as boolean) as is_changed_since_refit
    from at_refit
    left join changed
        on at_refit.product_id = changed.product_id
)

select * from final
