{{ config(tags=['person_level']) }}

with

recommendations as (
    select * from {{ ref('int_recommendations_scored') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(recommendations.person_id || '|' || recommendations.rank as string) as recommendation_id,
        cast(recommendations.person_id as string) as person_id,
        cast(recommendations.rank as integer) as rank,
        cast(recommendations.item_id as string) as item_id,
        cast(recommendations.score as double) as score,
        cast(recommendations.confidence as double) as confidence,
        cast(recommendations.rec_source as string) as rec_source,
        cast(recommendations.rec_source in ('hybrid', 'collaborative', 'content') as boolean) as is_personalized,
        cast(recommendations.model_version as string) as model_version,
        cast(as_of.as_of_at as timestamp) as generated_at,
        cast(recommendations.factors_fitted_at as timestamp) as factors_fitted_at,
        cast(recommendations.scored_at as timestamp) as scored_at
    from recommendations
    cross join as_of
)

select * from final
