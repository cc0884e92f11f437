with

items as (
    select * from {{ ref('int_recommendation_items_served') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(items.item_id as string) as item_id,
        cast(items.is_active as boolean) as is_active,
        cast(items.popularity as double) as popularity,
        cast(items.factors as {{ array_type('double') }}) as factors,
        cast(items.model_version as string) as model_version,
        cast(as_of.as_of_at as timestamp) as generated_at
    from items
    cross join as_of
)

select * from final
