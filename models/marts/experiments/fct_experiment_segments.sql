with

segment_readouts as (
    select * from {{ ref('int_experiment_segments_compared') }}
),

final as (
    select
        cast(
            segment_readouts.experiment_id || '|' || segment_readouts.metric || '|' || segment_readouts.segment
            || '|' || segment_readouts.variant as string
        ) as experiment_segment_result_id,
        cast(segment_readouts.experiment_id as string) as experiment_id,
        cast(segment_readouts.metric as string) as metric,
        cast(segment_readouts.segment as string) as segment,
        cast(segment_readouts.variant as string) as variant,
        cast(segment_readouts.units as bigint) as units,
        cast(segment_readouts.value as double) as variant_value,
        cast(segment_readouts.control_value as double) as control_value,
        cast(segment_readouts.abs_lift as double) as abs_lift,
        cast(segment_readouts.abs_lift_ci_low as double) as abs_lift_ci_low,
        cast(segment_readouts.abs_lift_ci_high as double) as abs_lift_ci_high,
        cast(segment_readouts.rel_lift as double) as rel_lift,
        cast(segment_readouts.rel_lift_ci_low as double) as rel_lift_ci_low,
        cast(segment_readouts.rel_lift_ci_high as double) as rel_lift_ci_high,
        cast(segment_readouts.p_value as double) as p_value,
        cast(segment_readouts.p_value_holm as double) as p_value_holm,
        cast(segment_readouts.p_value_bh as double) as p_value_bh,
        cast(segment_readouts.is_significant as boolean) as is_significant,
        cast(segment_readouts.is_significant_holm as boolean) as is_significant_holm,
        cast(segment_readouts.is_significant_bh as boolean) as is_significant_bh,
        cast(segment_readouts.cuped_variance_reduction as double) as cuped_variance_reduction,
        cast(segment_readouts.mde_rel as double) as mde_rel
    from segment_readouts
)

select * from final
