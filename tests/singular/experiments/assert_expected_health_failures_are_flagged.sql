{#- Not run for a shop without experiments (TAILOR_ABSENT_SOURCES): the registry's experiments then have no units. -#}
{{ config(store_failures=true, enabled='experiments' not in landing_absent_sources()) }}

-- A health failure recorded as `fails` must be flagged: when the check passes (or no longer exists), either
-- the problem went away and the record is stale, or the check stopped detecting a known problem.
with

expectations as (
    select * from {{ ref('experiment_health_expectations') }}
),

health_checks as (
    select * from {{ ref('fct_experiment_health') }}
),

final as (
    select
        expectations.experiment_id,
        expectations.health_check,
        expectations.metric,
        coalesce(health_checks.message, 'no such check was run') as message,
        'Experiment ' || expectations.experiment_id || ' is recorded to fail its ' || expectations.health_check
        || ' check (' || expectations.reason || ') but it did not: '
        || coalesce(health_checks.message, 'no such check was run.')
        || ' Remove the stale record from seeds/experiment_health_expectations.csv, or find out why the'
        || ' check no longer flags it.' as failure
    from expectations
    left join health_checks
        on
            expectations.experiment_id = health_checks.experiment_id
            and expectations.health_check = health_checks.health_check
            and coalesce(expectations.metric, '') = coalesce(health_checks.metric, '')
    where
        expectations.expectation = 'fails'
        and not coalesce(health_checks.is_failed, false)
)

select * from final
