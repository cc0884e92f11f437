"""Lift, CI, p-value, CUPED and power per experiment x metric x variant (logic in tailor.experiments)."""

from tailor.experiments.pipeline import ReadoutOptions, shared_readout
from tailor.frames import read_frame


def model(dbt, session):
    as_of = read_frame(dbt.ref("int_as_of_resolved"))["as_of_at"]
    # one computation for the three readout models (shared_readout); each publishes its part
    readout = shared_readout(
        read_frame(dbt.ref("int_experiment_exposures_stitched")),
        read_frame(dbt.ref("int_experiment_metrics_measured")),
        read_frame(dbt.ref("experiment_registry")),
        read_frame(dbt.ref("experiment_metrics")),
        as_of=as_of.iloc[0] if len(as_of) else None,
        options=ReadoutOptions.from_mapping(dbt.config.meta_get("settings")),
    )
    return readout.readout
