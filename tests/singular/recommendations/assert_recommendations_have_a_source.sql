{#- Every recommendation says which tier produced it: rec_source is set and is one of the fallback chain's
    tiers, and is_personalized agrees with it. One row per offending recommendation. -#}
with

recommendations as (
    select * from {{ ref('fct_recommendations') }}
),

final as (
    select
        recommendation_id,
        rec_source,
        is_personalized
    from recommendations
    where
        rec_source is null
        or rec_source not in ('hybrid', 'collaborative', 'content', 'segment_popularity', 'global_popularity')
        or is_personalized is distinct from (rec_source in ('hybrid', 'collaborative', 'content'))
)

select * from final
