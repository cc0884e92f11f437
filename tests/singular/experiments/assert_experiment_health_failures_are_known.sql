{#- Not run for a shop without experiments (TAILOR_ABSENT_SOURCES): the registry's experiments then have no units. -#}
{{ config(store_failures=true, enabled='experiments' not in landing_absent_sources()) }}

-- A failed health check fails the build unless recorded as a known issue in
-- seeds/experiment_health_expectations.csv. Each row says what failed and what to do.
with

health_checks as (
    select * from {{ ref('fct_experiment_health') }}
),

final as (
    select
        experiment_id,
        health_check,
        metric,
        message,
        'Experiment ' || experiment_id || ' failed its ' || health_check || ' check'
        || coalesce(' on ' || metric, '') || ': ' || message
        || ' Fix the experiment, or record the known issue in seeds/experiment_health_expectations.csv.'
            as failure
    from health_checks
    where health_status = 'failed'
)

select * from final
