with

similar_items as (
    select * from {{ ref('int_similar_items_scored') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(similar_items.item_id || '|' || similar_items.rank as string) as similar_item_pair_id,
        cast(similar_items.item_id as string) as item_id,
        cast(similar_items.rank as integer) as rank,
        cast(similar_items.similar_item_id as string) as similar_item_id,
        cast(similar_items.score as double) as score,
        cast(similar_items.similarity_source as string) as similarity_source,
        cast(similar_items.model_version as string) as model_version,
        cast(as_of.as_of_at as timestamp) as generated_at
    from similar_items
    cross join as_of
)

select * from final
