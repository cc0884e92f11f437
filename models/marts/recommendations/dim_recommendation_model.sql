with

described as (
    select * from {{ ref('int_recommendation_model_described') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(described.model_version as string) as model_version,
        cast(described.recs_options as string) as recs_options,
        cast(described.event_weights as string) as event_weights,
        cast(as_of.as_of_at as timestamp) as generated_at
    from described
    cross join as_of
)

select * from final
