-- The features separate people: no behavioural segment holds more than `segments.max_share` of the
-- clustered persons in the current run, and there is more than one segment when anyone was clustered.
with

segments as (
    select * from {{ ref('dim_segments') }}
),

clusters as (
    select * from segments
    where not is_fallback
),

too_large as (
    select
        segment_id,
        segment_name,
        clustered_share,
        'holds more than the max share' as problem
    from clusters
    where clustered_share > {{ setting('segments', 'max_share') }}
),

single_cluster as (
    select
        min(segment_id) as segment_id,
        min(segment_name) as segment_name,
        max(clustered_share) as clustered_share,
        'the only behavioural segment' as problem
    from clusters
    having count(*) = 1
),

final as (
    select * from too_large
    union all
    select * from single_cluster
)

select * from final
