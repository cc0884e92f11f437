{#- Per run and segment: size before and after the retrain and the population-stability-index terms. -#}
with

runs as (
    select * from {{ ref('int_segments_trained') }}
),

final as (
    select
        cast(segment_run_id as string) as segment_drift_id,
        cast(retrained_at as timestamp) as retrained_at,
        cast(previous_retrained_at as timestamp) as previous_retrained_at,
        cast(segment_id as string) as segment_id,
        cast(segment_name as string) as segment_name,
        cast(is_fallback as boolean) as is_fallback,
        cast(drift_status as string) as drift_status,
        cast(previous_member_count as bigint) as previous_member_count,
        cast(member_count as bigint) as member_count,
        cast(member_count_change as bigint) as member_count_change,
        cast(previous_share as double) as previous_share,
        cast(member_share as double) as member_share,
        cast(share_change as double) as share_change,
        cast(psi_contribution as double) as psi_contribution,
        cast(psi_total as double) as psi_total
    from runs
)

select * from final
