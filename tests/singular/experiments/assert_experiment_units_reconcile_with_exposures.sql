-- Every unit exposed to exactly one variant is read out once per metric, in that variant: the readout
-- neither drops nor double counts units (units in several variants are excluded).
with

exposures as (
    select * from {{ ref('int_experiment_exposures_stitched') }}
),

results as (
    select * from {{ ref('fct_experiment_results') }}
),

exposed_units as (
    select
        experiment_id,
        variant,
        count(*) as exposed_units
    from exposures
    where not is_multiple_variant_unit
    group by
        experiment_id,
        variant
),

final as (
    select
        results.experiment_id,
        results.metric,
        results.variant,
        results.units,
        coalesce(exposed_units.exposed_units, 0) as exposed_units
    from results
    left join exposed_units
        on
            results.experiment_id = exposed_units.experiment_id
            and results.variant = exposed_units.variant
    where results.units != coalesce(exposed_units.exposed_units, 0)
)

select * from final
