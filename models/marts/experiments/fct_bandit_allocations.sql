with

allocations as (
    select * from {{ ref('int_bandit_allocations_sampled') }}
),

health_checks as (
    select * from {{ ref('int_experiment_health_checked') }}
),

-- an allocation computed from a broken experiment (a sample ratio mismatch, leaked units) is flagged
experiment_health as (
    select
        experiment_id,
        sum(case when is_failed and is_blocking then 1 else 0 end) = 0 as is_trustworthy
    from health_checks
    group by experiment_id
),

final as (
    select
        cast(allocations.experiment_id || '|' || allocations.variant as string) as bandit_allocation_id,
        cast(allocations.experiment_id as string) as experiment_id,
        cast(allocations.metric as string) as metric,
        cast(allocations.variant as string) as variant,
        cast(allocations.successes as bigint) as successes,
        cast(allocations.trials as bigint) as trials,
        cast(allocations.rate as double) as rate,
        cast(allocations.prob_best as double) as prob_best,
        cast(allocations.allocation as double) as allocation,
        cast(coalesce(experiment_health.is_trustworthy, false) as boolean) as is_experiment_trustworthy
    from allocations
    left join experiment_health
        on allocations.experiment_id = experiment_health.experiment_id
)

select * from final
