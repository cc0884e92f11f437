{{ config(tags=['person_level']) }}

{#- Every person's segment in every run: how a person moves between segments over time. -#}
with

runs as (
    select * from {{ ref('int_segments_trained') }}
),

memberships as (
    select
        runs.retrained_at,
        runs.segment_id,
        runs.segment_name,
        runs.is_fallback,
        member_rows.member.person_id,
        member_rows.member.distance_to_centroid
    from runs
    {{ cross_join_unnest('runs.members', 'member_rows', 'member') }}
),

-- the person's previous run, not the previous run of the table: a person absent from a run keeps the
-- segment of the last run that saw them
with_previous as (
    select
        memberships.*,
        lag(memberships.retrained_at) over (
            partition by memberships.person_id order by memberships.retrained_at
        ) as previous_retrained_at,
        lag(memberships.segment_id) over (
            partition by memberships.person_id order by memberships.retrained_at
        ) as previous_segment_id
    from memberships
),

final as (
    select
        cast({{ sha256_hex("person_id || '|' || cast(retrained_at as string)") }} as string)
            as segment_membership_id,
        cast(person_id as string) as person_id,
        cast(retrained_at as timestamp) as retrained_at,
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(is_fallback as boolean) as is_fallback,
        cast(distance_to_centroid as double) as distance_to_centroid,
        cast(previous_retrained_at as timestamp) as previous_retrained_at,
        cast(previous_segment_id as string) as previous_segment_id,
        cast(coalesce(previous_segment_id != segment_id, false) as boolean) as has_changed_segment
    from with_previous
)

select * from final
