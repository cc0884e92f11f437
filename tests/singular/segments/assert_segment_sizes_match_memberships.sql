-- Every profiled person has exactly one segment, and each segment's member_count is its number of persons.
with

segments as (
    select * from {{ ref('dim_segments') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

profiles as (
    select * from {{ ref('int_persons_segment_features_derived') }}
),

counted as (
    select
        segment_id,
        count(*) as person_count
    from customer_segments
    group by segment_id
),

size_mismatches as (
    select
        segments.segment_id as failing_key,
        'member_count ' || segments.member_count || ' but ' || coalesce(counted.person_count, 0) || ' persons'
            as problem
    from segments
    left join counted on segments.segment_id = counted.segment_id
    where segments.member_count != coalesce(counted.person_count, 0)
),

unsegmented as (
    select
        profiles.person_id as failing_key,
        'profiled person without a segment' as problem
    from profiles
    left join customer_segments on profiles.person_id = customer_segments.person_id
    where customer_segments.person_id is null
),

final as (
    select * from size_mismatches
    union all
    select * from unsegmented
)

select * from final
