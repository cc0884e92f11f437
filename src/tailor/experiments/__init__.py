"""A/B-test analysis: readouts with CUPED, health checks, power, segment corrections and bandit allocation."""

from tailor.experiments.bandit import apply_allocation_floor, probability_best, thompson_allocation
from tailor.experiments.cuped import CupedResult, cuped_adjust, cuped_theta
from tailor.experiments.health import (
    HealthCheck,
    exclude_multiple_variant_units,
    guardrail_check,
    health_table,
    minimum_sample_check,
    multiple_variant_check,
    srm_check,
)
from tailor.experiments.multiple_testing import benjamini_hochberg_adjust, holm_adjust
from tailor.experiments.power import (
    mde_from_std_error,
    mde_mean,
    mde_proportion,
    sample_size_from_mde,
    sample_size_mean,
    sample_size_proportion,
)
from tailor.experiments.readout import (
    READOUT_COLUMNS,
    SEGMENT_COLUMNS,
    ExperimentReadout,
    experiment_readout,
    metric_readout,
    readout_experiments,
    segment_readout,
)
from tailor.experiments.registry import ExperimentSpec, MetricSpec, metric_specs_from_records
from tailor.experiments.stats import (
    LiftResult,
    mean_moments,
    ratio_delta_test,
    ratio_moments,
    two_proportion_test,
    welch_test,
)

__all__ = [
    "READOUT_COLUMNS",
    "SEGMENT_COLUMNS",
    "CupedResult",
    "ExperimentReadout",
    "ExperimentSpec",
    "HealthCheck",
    "LiftResult",
    "MetricSpec",
    "apply_allocation_floor",
    "benjamini_hochberg_adjust",
    "cuped_adjust",
    "cuped_theta",
    "exclude_multiple_variant_units",
    "experiment_readout",
    "guardrail_check",
    "health_table",
    "holm_adjust",
    "mde_from_std_error",
    "mde_mean",
    "mde_proportion",
    "mean_moments",
    "metric_readout",
    "metric_specs_from_records",
    "minimum_sample_check",
    "multiple_variant_check",
    "probability_best",
    "ratio_delta_test",
    "ratio_moments",
    "readout_experiments",
    "sample_size_from_mde",
    "sample_size_mean",
    "sample_size_proportion",
    "segment_readout",
    "srm_check",
    "thompson_allocation",
    "two_proportion_test",
    "welch_test",
]
