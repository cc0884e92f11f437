{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='monitoring_run_id',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

{#- The learning loop's memory: every build appends what it measured, keyed by its as-of time, so a rebuild
    of the same data replaces its run and a full refresh never erases the history (drop the table to reset).
    Recommendation metrics come from the build's own evaluation run, segment sizes and drift from the
    segmentation run at the as-of time, experiment status from the current readouts and health checks. -#}
with

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

evaluations as (
    select * from {{ ref('fct_recommendation_evaluation') }}
),

segment_drift as (
    select * from {{ ref('fct_segment_drift') }}
),

experiment_results as (
    select * from {{ ref('fct_experiment_results') }}
),

experiment_health as (
    select * from {{ ref('fct_experiment_health') }}
),

run as (
    select
        as_of_at,
        cast(as_of_at as string) as monitoring_run_id
    from as_of
),

-- the latest evaluation run built for this as-of time (several model versions may have been evaluated)
current_evaluation_run as (
    select max(evaluations.run_number) as run_number
    from evaluations
    inner join run
        on evaluations.as_of_at = run.as_of_at
),

recommendation_metrics as (
    select
        'recommendations' as area,
        evaluations.model_name as subject,
        evaluations.model_name as subject_name,
        evaluations.metric || '@' || cast(evaluations.k as string) as metric,
        evaluations.metric_value,
        evaluations.model_version as status
    from evaluations
    inner join current_evaluation_run
        on evaluations.run_number = current_evaluation_run.run_number
    where evaluations.slice_type = 'overall'
),

current_segments as (
    select segment_drift.*
    from segment_drift
    inner join run
        on segment_drift.retrained_at = run.as_of_at
),

segment_metrics as (
    {%- for metric, expression in [
        ('member_count', 'cast(member_count as double)'),
        ('member_share', 'member_share'),
        ('share_change', 'share_change'),
        ('psi_contribution', 'psi_contribution'),
    ] %}
    select
        'segments' as area,
        segment_id as subject,
        segment_name as subject_name,
        '{{ metric }}' as metric,
        {{ expression }} as metric_value,
        drift_status as status
    from current_segments
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

segment_run as (
    select
        count(case when drift_status != 'retired' then segment_id end) as segment_count,
        max(psi_total) as psi_total
    from current_segments
    having count(*) > 0
),

segment_run_metrics as (
    {%- for metric, expression in [
        ('segment_count', 'cast(segment_count as double)'),
        ('psi_total', 'psi_total'),
    ] %}
    select
        'segments' as area,
        'all' as subject,
        'all segments' as subject_name,
        '{{ metric }}' as metric,
        {{ expression }} as metric_value,
        cast(null as string) as status
    from segment_run
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

experiment_checks as (
    select
        experiment_id,
        count(case when is_failed then health_check end) as failed_check_count,
        count(case when health_status in ('failed', 'missed_expected_failure') then health_check end)
            as unexpected_failure_count
    from experiment_health
    group by experiment_id
),

experiments as (
    select
        experiment_results.experiment_id,
        max(experiment_results.experiment_name) as experiment_name,
        sum(case when experiment_results.is_primary then experiment_results.units end) as units,
        bool_and(experiment_results.is_trustworthy) as is_trustworthy,
        bool_and(experiment_results.is_healthy) as is_healthy
    from experiment_results
    group by experiment_results.experiment_id
),

experiment_status as (
    select
        experiments.*,
        coalesce(experiment_checks.failed_check_count, 0) as failed_check_count,
        coalesce(experiment_checks.unexpected_failure_count, 0) as unexpected_failure_count
    from experiments
    left join experiment_checks
        on experiments.experiment_id = experiment_checks.experiment_id
),

experiment_metrics as (
    {%- for metric, expression in [
        ('units', 'cast(units as double)'),
        ('is_trustworthy', 'case when is_trustworthy then 1.0 else 0.0 end'),
        ('is_healthy', 'case when is_healthy then 1.0 else 0.0 end'),
        ('failed_check_count', 'cast(failed_check_count as double)'),
        ('unexpected_failure_count', 'cast(unexpected_failure_count as double)'),
    ] %}
    select
        'experiments' as area,
        experiment_id as subject,
        experiment_name as subject_name,
        '{{ metric }}' as metric,
        {{ expression }} as metric_value,
        case when is_trustworthy then 'trustworthy' else 'not_trustworthy' end as status
    from experiment_status
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- the primary metric's lift of every treatment variant, with the readout's verdict as status
treatment_readouts as (
    select *
    from experiment_results
    where
        is_primary
        and not is_control
),

experiment_variant_metrics as (
    {%- for metric, expression in [('primary_rel_lift', 'rel_lift'), ('primary_p_value', 'p_value')] %}
    select
        'experiments' as area,
        experiment_id || ':' || variant as subject,
        experiment_name as subject_name,
        '{{ metric }}' as metric,
        {{ expression }} as metric_value,
        conclusion as status
    from treatment_readouts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

measured as (
    select * from recommendation_metrics
    union all
    select * from segment_metrics
    union all
    select * from segment_run_metrics
    union all
    select * from experiment_metrics
    union all
    select * from experiment_variant_metrics
),

final as (
    select
        cast(
            run.monitoring_run_id || '|' || measured.area || '|' || measured.subject || '|' || measured.metric
            as string
        ) as monitoring_metric_id,
        cast(run.monitoring_run_id as string) as monitoring_run_id,
        cast(run.as_of_at as timestamp) as as_of_at,
        cast(measured.area as string) as area,
        cast(measured.subject as string) as subject,
        cast(measured.subject_name as string) as subject_name,
        cast(measured.metric as string) as metric,
        cast(measured.metric_value as double) as metric_value,
        cast(measured.status as string) as status
    from measured
    cross join run
)

select * from final
