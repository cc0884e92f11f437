"""Health checks per experiment: SRM, leaked units, sample, runtime, guardrails (logic in tailor.experiments)."""

from tailor.experiments.pipeline import ReadoutOptions, compute_readout


def model(dbt, session):
    dbt.config(materialized="table")
    as_of = dbt.ref("int_as_of_resolved").df()["as_of_at"]
    readout = compute_readout(
        dbt.ref("int_experiment_exposures_stitched").df(),
        dbt.ref("int_experiment_metrics_measured").df(),
        dbt.ref("experiment_registry").df(),
        dbt.ref("experiment_metrics").df(),
        as_of=as_of.iloc[0] if len(as_of) else None,
        options=ReadoutOptions.from_mapping(dbt.config.meta_get("experiment_readout_options")),
    )
    return readout.health
