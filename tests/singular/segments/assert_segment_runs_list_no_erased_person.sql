-- Erasure reaches the segment history: no stored run, past ones included, lists an erased person among
-- its members (int_segments_trained rewrites such runs on the next build).
with

runs as (
    select * from {{ ref('int_segments_trained') }}
),

erased_persons as (
    select * from {{ ref('int_persons_erased') }}
),

members as (
    select
        runs.segment_run_id,
        member_rows.member.person_id
    from runs
    {{ cross_join_unnest('runs.members', 'member_rows', 'member') }}
),

final as (
    select
        members.segment_run_id,
        members.person_id
    from members
    inner join erased_persons on members.person_id = erased_persons.person_id
)

select * from final
