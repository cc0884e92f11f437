-- Proportion metrics are 0/1 per unit; ratio metrics carry a non-negative denominator and no covariate;
-- proportion and mean metrics carry a covariate and no denominator.
with

metric_catalogue as (
    select * from {{ ref('experiment_metrics') }}
),

unit_metrics as (
    select * from {{ ref('int_experiment_metrics_measured') }}
),

final as (
    select
        unit_metrics.experiment_unit_metric_id,
        unit_metrics.metric,
        metric_catalogue.kind,
        unit_metrics.metric_value,
        unit_metrics.denominator,
        unit_metrics.covariate
    from unit_metrics
    inner join metric_catalogue
        on unit_metrics.metric = metric_catalogue.metric
    where
        (metric_catalogue.kind = 'proportion' and unit_metrics.metric_value not in (0, 1))
        or (metric_catalogue.kind = 'ratio' and (unit_metrics.denominator is null or unit_metrics.denominator < 0))
        or (metric_catalogue.kind = 'ratio' and unit_metrics.covariate is not null)
        or (metric_catalogue.kind != 'ratio' and unit_metrics.denominator is not null)
        or (metric_catalogue.kind != 'ratio' and unit_metrics.covariate is null)
)

select * from final
