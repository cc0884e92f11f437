-- BI filters and campaign audiences select segments by name: every name of the current run is distinct.
with

segments as (
    select * from {{ ref('dim_segments') }}
),

final as (
    select
        segment_name,
        count(*) as segment_count
    from segments
    group by segment_name
    having count(*) > 1
)

select * from final
