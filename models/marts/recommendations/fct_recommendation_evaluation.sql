{{
    config(
        materialized='incremental',
        unique_key='evaluation_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- Run history: every build appends its evaluation run; a run is keyed by its as-of date and model version,
    so rebuilding the same data with the same settings replaces that run instead of adding a copy. Runs
    are numbered in the order they were last built: rebuilding the latest run keeps its number, rebuilding
    an older one moves it to the top. -#}
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
        cast(null as varchar) as evaluation_run_id,
        cast(null as integer) as run_number
    where false
    {%- endif %}
),

last_run as (
    select coalesce(max(run_number), 0) as run_number
    from previous_runs
),

keyed as (
    select
        evaluations.*,
        cast(cast(evaluations.as_of_at as varchar) || '|' || evaluations.model_version as varchar)
            as evaluation_run_id
    from evaluations
),

runs as (
    select distinct
        keyed.evaluation_run_id,
        case
            when previous_runs.run_number = last_run.run_number then last_run.run_number
            else last_run.run_number + 1
        end as run_number
    from keyed
    left join previous_runs
        on keyed.evaluation_run_id = previous_runs.evaluation_run_id
    cross join last_run
),

final as (
    select
        cast(
            keyed.evaluation_run_id || '|' || keyed.model || '|' || keyed.slice_type || '|' || keyed.slice_value
            || '|' || keyed.metric || '|' || keyed.k as varchar
        ) as evaluation_id,
        cast(keyed.evaluation_run_id as varchar) as evaluation_run_id,
        cast(runs.run_number as integer) as run_number,
        cast(keyed.model as varchar) as model_name,
        cast(keyed.slice_type as varchar) as slice_type,
        cast(keyed.slice_value as varchar) as slice_value,
        cast(keyed.metric as varchar) as metric,
        cast(keyed.k as integer) as k,
        cast(keyed.value as double) as metric_value,
        cast(keyed.n_users as bigint) as n_users,
        cast(keyed.model_version as varchar) as model_version,
        cast(keyed.holdout_days as double) as holdout_days,
        cast(keyed.train_pair_count as bigint) as train_pair_count,
        cast(keyed.test_pair_count as bigint) as test_pair_count,
        cast(keyed.cutoff_at as timestamp) as cutoff_at,
        cast(keyed.as_of_at as timestamp) as as_of_at
    from keyed
    inner join runs
        on keyed.evaluation_run_id = runs.evaluation_run_id
)

select * from final
