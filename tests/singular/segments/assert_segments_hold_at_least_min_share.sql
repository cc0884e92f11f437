-- No behavioural segment is too small to act on: each holds at least `segments.min_share` of the
-- clustered persons (fallbacks excluded) in the current run.
with

segments as (
    select * from {{ ref('dim_segments') }}
),

final as (
    select
        segment_id,
        segment_name,
        member_count,
        clustered_share
    from segments
    where
        not is_fallback
        and clustered_share < {{ setting('segments', 'min_share') }}
)

select * from final
