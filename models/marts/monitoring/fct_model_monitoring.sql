{#- One row per monitoring run (build as-of time): the watched recommender's NDCG against its best over the
    recent runs, segment drift and experiment status, and whether the models should be retrained. Runs are
    ordered by as-of time, so a backfilled older as-of takes its place in history instead of the top. -#}
{%- set watched_model = var('monitoring_recs_model') %}
{%- set ndcg_metric = 'ndcg@' ~ var('monitoring_ndcg_k') %}
{%- set preceding_runs = [(var('monitoring_window_runs') | int) - 1, 0] | max %}

with

run_metrics as (
    select * from {{ ref('fct_monitoring_run_metrics') }}
),

runs as (
    select
        monitoring_run_id,
        as_of_at,
        max(case when area = 'recommendations' and subject = '{{ watched_model }}' then status end)
            as model_version,
        max(
            case
                when area = 'recommendations' and subject = '{{ watched_model }}' and metric = '{{ ndcg_metric }}'
                    then metric_value
            end
        ) as ndcg,
        max(
            case
                when area = 'recommendations' and subject = 'global_popularity' and metric = '{{ ndcg_metric }}'
                    then metric_value
            end
        ) as popularity_ndcg,
        max(case when area = 'segments' and subject = 'all' and metric = 'segment_count' then metric_value end)
            as segment_count,
        max(case when area = 'segments' and subject = 'all' and metric = 'psi_total' then metric_value end)
            as segment_psi,
        max(case when area = 'segments' and subject != 'all' and metric = 'share_change' then abs(metric_value) end)
            as max_segment_share_change,
        count(distinct case when area = 'experiments' and metric = 'is_trustworthy' then subject end)
            as experiment_count,
        count(
            distinct case when area = 'experiments' and metric = 'is_trustworthy' and metric_value = 0 then subject end
        ) as untrustworthy_experiment_count,
        sum(case when area = 'experiments' and metric = 'unexpected_failure_count' then metric_value end)
            as unexpected_health_failure_count
    from run_metrics
    group by
        monitoring_run_id,
        as_of_at
),

-- the best NDCG over this run and the runs just before it (a window of monitoring_window_runs runs)
windowed as (
    select
        runs.*,
        row_number() over (order by runs.as_of_at) as run_number,
        max(runs.ndcg) over (
            order by runs.as_of_at
            rows between {{ preceding_runs }} preceding and current row
        ) as best_recent_ndcg
    from runs
),

flagged as (
    select
        windowed.*,
        case
            when windowed.best_recent_ndcg > 0 then 1.0 - windowed.ndcg / windowed.best_recent_ndcg
        end as ndcg_drop_share,
        coalesce(
            windowed.ndcg < windowed.best_recent_ndcg * (1.0 - {{ var('monitoring_ndcg_drop_share') }}), false
        ) as is_ndcg_degraded,
        coalesce(windowed.segment_psi > {{ var('monitoring_psi_threshold') }}, false) as is_segment_drifted
    from windowed
),

final as (
    select
        cast(monitoring_run_id as string) as monitoring_run_id,
        cast(run_number as integer) as run_number,
        cast(as_of_at as timestamp) as as_of_at,
        cast('{{ watched_model }}' as string) as watched_model,
        cast(model_version as string) as model_version,
        cast(ndcg as double) as ndcg,
        cast(best_recent_ndcg as double) as best_recent_ndcg,
        cast(ndcg_drop_share as double) as ndcg_drop_share,
        cast(popularity_ndcg as double) as popularity_ndcg,
        cast(segment_count as integer) as segment_count,
        cast(segment_psi as double) as segment_psi,
        cast(max_segment_share_change as double) as max_segment_share_change,
        cast(experiment_count as integer) as experiment_count,
        cast(untrustworthy_experiment_count as integer) as untrustworthy_experiment_count,
        cast(coalesce(unexpected_health_failure_count, 0) as integer) as unexpected_health_failure_count,
        cast(is_ndcg_degraded as boolean) as is_ndcg_degraded,
        cast(is_segment_drifted as boolean) as is_segment_drifted,
        cast(is_ndcg_degraded or is_segment_drifted as boolean) as is_retraining_needed,
        cast(
            case
                when is_ndcg_degraded and is_segment_drifted then 'ndcg_drop,segment_drift'
                when is_ndcg_degraded then 'ndcg_drop'
                when is_segment_drifted then 'segment_drift'
                else ''
            end as string
        ) as retraining_reasons
    from flagged
)

select * from final
