{{ config(materialized='view') }}

{#- The catalog as the recommenders saw it at the refit instant, one row per product: the latest version
    (clean or superseded) known before the instant (updated before it, and had by then: known_at), in
    int_recommendation_items_prepared's columns, and whether the product changed since (a recommended item
    that changed, e.g. became inactive, has its persons rescored). A view: read by the builds that refit
    and, for the changed flag, by every build. -#}
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

version_arrivals as (
    {{ arrived_versions('catalog.products') }}
),

versions as (
    select
        products.product_id,
        products.title,
        products.description,
        products.category,
        products.brand,
        products.tags,
        products.price_usd,
        products.is_active,
        {{ extract_version_at('catalog.products', 'products') }} as version_at
    from products
    union all
    select
        earlier_versions.product_id,
        earlier_versions.title,
        earlier_versions.description,
        earlier_versions.category,
        earlier_versions.brand,
        earlier_versions.tags,
        earlier_versions.price_usd,
        earlier_versions.is_active,
        {{ extract_version_at('catalog.products', 'earlier_versions') }} as version_at
    from earlier_versions
),

-- a version without any time counts as known from the start; one dated before the instant that a later
-- extract brought was not known then (int_extract_versions_arrived)
timed as (
    select
        versions.*,
        coalesce(
            {{ known_at('versions.version_at', 'version_arrivals.arrived_at') }} >= refit.refit_at, false
        ) as is_after_refit
    from versions
    cross join refit
    left join version_arrivals
        on
            versions.product_id = version_arrivals.record_id
            and versions.version_at = version_arrivals.version_at
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
