{{ config(tags=['person_level']) }}

{#- Who gets recommendations, one row per person of the profile: whether they hold personalization consent
    now (without it they get global popularity only and their behaviour trains nothing personal) and their
    segment in the current segmentation run, for the segment-popularity fallback (null: no segment). -#}
with

persons as (
    select * from {{ ref('int_person_features') }}
),

segment_runs as (
    select * from {{ ref('int_segments_trained') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

current_segments as (
    select segment_runs.*
    from segment_runs
    inner join as_of
        on segment_runs.retrained_at = as_of.as_of_at
),

memberships as (
    select
        member_rows.member.person_id,
        current_segments.segment_id
    from current_segments
    {{ cross_join_unnest('current_segments.members', 'member_rows', 'member') }}
),

final as (
    select
        cast(persons.person_id as string) as person_id,
        cast(coalesce(persons.has_personalization_consent, false) as boolean) as has_personalization_consent,
        cast(memberships.segment_id as string) as segment_id
    from persons
    left join memberships
        on persons.person_id = memberships.person_id
)

select * from final
