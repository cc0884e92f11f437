"""Thompson-sampling traffic allocation for the next period per experiment (logic in tailor.experiments)."""

from tailor.experiments.pipeline import ReadoutOptions, bandit_allocations


def model(dbt, session):
    dbt.config(materialized="table")
    return bandit_allocations(
        dbt.ref("int_experiment_exposures_stitched").df(),
        dbt.ref("int_experiment_metrics_measured").df(),
        dbt.ref("experiment_registry").df(),
        dbt.ref("experiment_metrics").df(),
        options=ReadoutOptions.from_mapping(dbt.config.meta_get("experiment_readout_options")),
    )
