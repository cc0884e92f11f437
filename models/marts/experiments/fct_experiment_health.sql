with

health_checks as (
    select * from {{ ref('int_experiment_health_checked') }}
),

registry as (
    select * from {{ ref('experiment_registry') }}
),

expectations as (
    select * from {{ ref('experiment_health_expectations') }}
),

as_of as (
    select * from {{ ref('int_as_of_resolved') }}
),

final as (
    select
        cast(
            health_checks.experiment_id || '|' || health_checks.health_check
            || '|' || coalesce(health_checks.metric, '') as string
        ) as experiment_health_check_id,
        cast(health_checks.experiment_id as string) as experiment_id,
        cast(registry.name as string) as experiment_name,
        cast(health_checks.health_check as string) as health_check,
        cast(health_checks.metric as string) as metric,
        cast(health_checks.is_failed as boolean) as is_failed,
        cast(health_checks.is_blocking as boolean) as is_blocking,
        cast(health_checks.value as double) as check_value,
        cast(health_checks.p_value as double) as p_value,
        cast(health_checks.message as string) as message,
        cast(expectations.expectation as string) as expectation,
        cast(expectations.reason as string) as expectation_reason,
        cast(
            case
                when health_checks.is_failed and expectations.expectation is not null then 'known_failure'
                when health_checks.is_failed then 'failed'
                when expectations.expectation = 'fails' then 'missed_expected_failure'
                else 'passed'
            end as string
        ) as health_status,
        cast(as_of.as_of_at as timestamp) as as_of_at
    from health_checks
    inner join registry
        on health_checks.experiment_id = registry.experiment_id
    left join expectations
        on
            health_checks.experiment_id = expectations.experiment_id
            and health_checks.health_check = expectations.health_check
            and coalesce(health_checks.metric, '') = coalesce(expectations.metric, '')
    cross join as_of
)

select * from final
