{{ config(tags=['person_level']) }}

{#- Each person's segment in the run at the current as-of time. -#}
with

runs as (
    select * from {{ ref('int_segments_trained') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

current_run as (
    select runs.*
    from runs
    inner join as_of on runs.retrained_at = as_of.as_of_at
),

memberships as (
    select
        current_run.segment_id,
        current_run.segment_name,
        current_run.is_fallback,
        current_run.retrained_at,
        member_rows.member.person_id,
        member_rows.member.distance_to_centroid
    from current_run
    {{ cross_join_unnest('current_run.members', 'member_rows', 'member') }}
),

final as (
    select
        cast(person_id as string) as person_id,
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(is_fallback as boolean) as is_fallback,
        cast(distance_to_centroid as double) as distance_to_centroid,
        cast(retrained_at as timestamp) as retrained_at
    from memberships
)

select * from final
