{#- The recommender quality gate: on this build's evaluation run (temporal holdout, fct_recommendation_evaluation),
    the hybrid's NDCG@10 must reach var recommendations.quality_gate_ratio (1.2 by default) times global popularity's,
    or the build fails. Fails with one row whose failure_message says what was measured; also fails when
    the run has no NDCG@10 for either model or evaluated nobody (nothing to judge is not a pass). -#}
{%- set ratio = setting('recommendations', 'quality_gate_ratio') %}

with

evaluation as (
    select * from {{ ref('fct_recommendation_evaluation') }}
),

current_run as (
    select distinct evaluation_run_id
    from {{ ref('int_recommendation_evaluations_computed') }}
),

gate_metrics as (
    select
        evaluation.model_name,
        evaluation.metric_value,
        evaluation.n_users
    from evaluation
    inner join current_run
        on evaluation.evaluation_run_id = current_run.evaluation_run_id
    where
        evaluation.slice_type = 'overall'
        and evaluation.metric = 'ndcg'
        and evaluation.k = 10
),

compared as (
    select
        max(case when model_name = 'hybrid' then metric_value end) as hybrid_ndcg_at_10,
        max(case when model_name = 'global_popularity' then metric_value end) as popularity_ndcg_at_10,
        coalesce(max(n_users), 0) as evaluated_users,
        cast({{ ratio }} as double) as required_ratio
    from gate_metrics
),

final as (
    select
        hybrid_ndcg_at_10,
        popularity_ndcg_at_10,
        required_ratio,
        evaluated_users,
        case
            when hybrid_ndcg_at_10 is null or popularity_ndcg_at_10 is null
                then 'quality gate: this run has no overall NDCG@10 for hybrid and global_popularity (k 10 missing?)'
            when evaluated_users = 0
                then 'quality gate: the holdout evaluated no person (no consented interactions after the cutoff)'
            else
                'quality gate: hybrid NDCG@10 ' || round(hybrid_ndcg_at_10, 4) || ' < ' || required_ratio
                || ' x global popularity NDCG@10 ' || round(popularity_ndcg_at_10, 4)
                || ' (ratio ' || round(hybrid_ndcg_at_10 / nullif(popularity_ndcg_at_10, 0), 3) || ', '
                || evaluated_users || ' persons evaluated)'
        end as failure_message
    from compared
    where
        hybrid_ndcg_at_10 is null
        or popularity_ndcg_at_10 is null
        or evaluated_users = 0
        or hybrid_ndcg_at_10 < required_ratio * popularity_ndcg_at_10
)

select * from final
