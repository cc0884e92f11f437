"""Thompson-sampling traffic allocation for the next period per experiment (logic in tailor.experiments)."""

from tailor.experiments.pipeline import ReadoutOptions, bandit_allocations
from tailor.frames import read_frame


def model(dbt, session):
    return bandit_allocations(
        read_frame(dbt.ref("int_experiment_exposures_stitched")),
        read_frame(dbt.ref("int_experiment_metrics_measured")),
        read_frame(dbt.ref("experiment_registry")),
        read_frame(dbt.ref("experiment_metrics")),
        options=ReadoutOptions.from_mapping(dbt.config.meta_get("settings")),
    )
