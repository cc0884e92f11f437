{{
    config(
        materialized='incremental',
        unique_key='evaluation_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- Run history: every build appends its evaluation run. A run is keyed by its as-of date, model version and
    evaluation settings (evaluation_run_id), so rebuilding the same data with the same settings replaces that
    run instead of adding a copy. Runs are numbered in the order they were last built: rebuilding the latest
    run keeps its number, rebuilding an older one moves it to the top. -#}
with

evaluations as (
    select * from {{ ref('int_recommendation_evaluations_computed') }}
),

previous_runs as (
    {%- if is_incremental() %}
    select
        evaluation_run_id,
        max(run_number) as run_number
    from {{ this }}
    group by evaluation_run_id
    {%- else %}
    select
        cast(null as string) as evaluation_run_id,
        cast(null as integer) as run_number
    where false
    {%- endif %}
),

last_run as (
    select coalesce(max(run_number), 0) as run_number
    from previous_runs
),

runs as (
    select distinct
        evaluations.evaluation_run_id,
        case
            when previous_runs.run_number = last_run.run_number then last_run.run_number
            else last_run.run_number + 1
        end as run_number
    from evaluations
    left join previous_runs
        on evaluations.evaluation_run_id = previous_runs.evaluation_run_id
    cross join last_run
),

final as (
    select
        cast(
            evaluations.evaluation_run_id || '|' || evaluations.model || '|' || evaluations.slice_type
            || '|' || evaluations.slice_value || '|' || evaluations.metric || '|' || evaluations.k as string
        ) as evaluation_id,
        cast(evaluations.evaluation_run_id as string) as evaluation_run_id,
        cast(runs.run_number as integer) as run_number,
        cast(evaluations.model as string) as model_name,
        cast(evaluations.slice_type as string) as slice_type,
        cast(evaluations.slice_value as string) as slice_value,
        cast(evaluations.metric as string) as metric,
        cast(evaluations.k as integer) as k,
        cast(evaluations.value as double) as metric_value,
        cast(evaluations.n_users as bigint) as n_users,
        cast(evaluations.model_version as string) as model_version,
        cast(evaluations.holdout_days as double) as holdout_days,
        cast(evaluations.train_pair_count as bigint) as train_pair_count,
        cast(evaluations.test_pair_count as bigint) as test_pair_count,
        cast(evaluations.cutoff_at as timestamp) as cutoff_at,
        cast(evaluations.as_of_at as timestamp) as as_of_at
    from evaluations
    inner join runs
        on evaluations.evaluation_run_id = runs.evaluation_run_id
)

select * from final
