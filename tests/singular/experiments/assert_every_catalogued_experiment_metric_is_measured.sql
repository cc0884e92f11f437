-- A metric added to seeds/experiment_metrics.csv needs its computation in int_experiment_metrics_measured;
-- otherwise the readout would silently skip it.
with

metric_catalogue as (
    select * from {{ ref('experiment_metrics') }}
),

unit_metrics as (
    select * from {{ ref('int_experiment_metrics_measured') }}
),

exposures as (
    select * from {{ ref('int_experiment_exposures_stitched') }}
),

measured as (
    select distinct metric from unit_metrics
),

-- a project without experiments measures nothing, and that is fine
exposure_count as (
    select count(*) as exposure_count from exposures
),

final as (
    select metric_catalogue.metric
    from metric_catalogue
    cross join exposure_count
    left join measured
        on metric_catalogue.metric = measured.metric
    where
        measured.metric is null
        and exposure_count.exposure_count > 0
)

select * from final
