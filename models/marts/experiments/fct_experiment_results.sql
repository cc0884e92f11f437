with

readouts as (
    select * from {{ ref('int_experiment_readouts_computed') }}
),

registry as (
    select * from {{ ref('experiment_registry') }}
),

metric_catalogue as (
    select * from {{ ref('experiment_metrics') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(readouts.experiment_id || '|' || readouts.metric || '|' || readouts.variant as string)
            as experiment_result_id,
        cast(readouts.experiment_id as string) as experiment_id,
        cast(registry.name as string) as experiment_name,
        cast(readouts.metric as string) as metric,
        cast(metric_catalogue.kind as string) as metric_kind,
        cast(readouts.variant as string) as variant,
        cast(readouts.is_control as boolean) as is_control,
        cast(readouts.is_primary as boolean) as is_primary,
        cast(readouts.is_guardrail as boolean) as is_guardrail,
        cast(readouts.units as bigint) as units,
        cast(readouts.value as double) as variant_value,
        cast(readouts.control_value as double) as control_value,
        cast(readouts.abs_lift as double) as abs_lift,
        cast(readouts.abs_lift_ci_low as double) as abs_lift_ci_low,
        cast(readouts.abs_lift_ci_high as double) as abs_lift_ci_high,
        cast(readouts.rel_lift as double) as rel_lift,
        cast(readouts.rel_lift_ci_low as double) as rel_lift_ci_low,
        cast(readouts.rel_lift_ci_high as double) as rel_lift_ci_high,
        cast(readouts.p_value as double) as p_value,
        cast(readouts.is_significant as boolean) as is_significant,
        cast(readouts.cuped_variance_reduction as double) as cuped_variance_reduction,
        cast(readouts.mde_rel as double) as mde_rel,
        cast(readouts.units_needed_per_variant as double) as units_needed_per_variant,
        cast(readouts.is_healthy as boolean) as is_healthy,
        cast(readouts.is_trustworthy as boolean) as is_trustworthy,
        cast(readouts.failed_health_checks as string) as failed_health_checks,
        cast(readouts.conclusion as string) as conclusion,
        cast(as_of.as_of_at as timestamp) as as_of_at
    from readouts
    inner join registry
        on readouts.experiment_id = registry.experiment_id
    inner join metric_catalogue
        on readouts.metric = metric_catalogue.metric
    cross join as_of
)

select * from final
