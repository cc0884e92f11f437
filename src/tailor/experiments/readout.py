"""Experiment readouts: per variant x metric lift versus control, health checks and segment breakdowns.

Inputs are unit-level frames (one row per randomisation unit, i.e. per person after identity stitching);
outputs are tidy frames ready to land in a mart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tailor.experiments.cuped import cuped_adjust
from tailor.experiments.health import (
    HEALTH_COLUMNS,
    SRM_P_THRESHOLD,
    HealthCheck,
    exclude_multiple_variant_units,
    guardrail_check,
    health_table,
    minimum_sample_check,
    multiple_variant_check,
    srm_check,
)
from tailor.experiments.multiple_testing import benjamini_hochberg_adjust, holm_adjust
from tailor.experiments.power import mde_mean, mde_proportion
from tailor.experiments.registry import METRIC_KINDS, ExperimentSpec, MetricSpec
from tailor.experiments.stats import (
    LiftResult,
    mean_moments,
    ratio_delta_test,
    ratio_moments,
    two_proportion_test,
    welch_test,
)

COMPARISON_COLUMNS = [
    "variant",
    "units",
    "value",
    "control_value",
    "abs_lift",
    "abs_lift_ci_low",
    "abs_lift_ci_high",
    "rel_lift",
    "rel_lift_ci_low",
    "rel_lift_ci_high",
    "p_value",
    "is_significant",
    "cuped_variance_reduction",
    "mde_rel",
]
READOUT_COLUMNS = ["experiment_id", "variant", "metric", "is_primary", "is_guardrail", *COMPARISON_COLUMNS[1:]]
SEGMENT_COLUMNS = [
    "experiment_id",
    "metric",
    "segment",
    *COMPARISON_COLUMNS,
    "p_value_holm",
    "p_value_bh",
    "is_significant_holm",
    "is_significant_bh",
]
_LIFT_FIELDS = [c for c in COMPARISON_COLUMNS if c.startswith(("abs_lift", "rel_lift"))] + ["p_value"]
_TEXT_COLUMNS = {"experiment_id", "variant", "metric", "segment", "check", "message"}


def _typed(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Select `columns` with stable dtypes (also for empty frames), so downstream contracts see one schema."""
    dtypes = {
        c: "str" if c in _TEXT_COLUMNS else "bool" if c.startswith("is_") else "int64" if c == "units" else "float64"
        for c in columns
    }
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})
    return frame[list(columns)].astype(dtypes).reset_index(drop=True)


@dataclass(frozen=True)
class ExperimentReadout:
    """The three tidy outputs of a readout: lifts, health checks and segment breakdowns."""

    readout: pd.DataFrame
    health: pd.DataFrame
    segments: pd.DataFrame


def _arm_summary(kind: str, y: np.ndarray, den: np.ndarray | None) -> dict[str, float]:
    """Sufficient statistics of one arm; `var_unit` is the unit-level variance used for the MDE."""
    if kind == "ratio":
        n, ratio, ratio_var = ratio_moments(y, den)
        return {"n": n, "value": float(ratio), "var": float(ratio_var), "var_unit": float(ratio_var) * n}
    n, mean, var = mean_moments(y)
    return {"n": n, "value": float(mean), "var": float(var), "var_unit": float(var)}


def _compare(kind: str, t: dict[str, float], c: dict[str, float], alpha: float) -> LiftResult:
    if kind == "proportion":
        return two_proportion_test(t["value"] * t["n"], t["n"], c["value"] * c["n"], c["n"], alpha)
    if kind == "mean":
        return welch_test(t["value"], t["var"], t["n"], c["value"], c["var"], c["n"], alpha)
    return ratio_delta_test(t["value"], t["var"], c["value"], c["var"], alpha)


def _mde_abs(kind: str, t: dict[str, float], c: dict[str, float], alpha: float, power: float) -> float:
    if kind == "proportion":
        return float(mde_proportion(c["value"], t["n"], c["n"], alpha, power))
    return float(mde_mean(np.sqrt(c["var_unit"]), t["n"], c["n"], alpha, power))


def metric_readout(
    units: pd.DataFrame,
    kind: str,
    control_variant: str = "control",
    alpha: float = 0.05,
    power: float = 0.8,
    use_cuped: bool = True,
) -> pd.DataFrame:
    """Every variant of one metric against control; one row per variant, control first.

    `units` has one row per unit with columns variant and value, plus denominator for ratio metrics and
    optionally covariate (pre-period value). With a covariate, proportion and mean metrics are CUPED-adjusted
    (theta pooled over all variants) and read out with Welch's test on the adjusted values; value and
    control_value are then the adjusted means. Ratio metrics are not CUPED-adjusted.
    """
    if kind not in METRIC_KINDS:
        raise ValueError(f"kind must be one of {METRIC_KINDS}, got {kind!r}")
    groups = units["variant"].astype(str).to_numpy()
    if control_variant not in set(groups):
        raise ValueError(f"control variant {control_variant!r} has no units")
    y = units["value"].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ValueError("value has missing entries; units without activity should carry 0")
    if kind == "proportion" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("proportion metrics need 0/1 values per unit")
    den = None
    if kind == "ratio":
        if "denominator" not in units:
            raise ValueError("ratio metrics need a denominator column")
        den = units["denominator"].to_numpy(dtype=float)

    test_kind, reduction = kind, np.nan
    has_covariate = "covariate" in units and units["covariate"].notna().any()
    if use_cuped and kind != "ratio" and has_covariate:
        cuped = cuped_adjust(y, units["covariate"].fillna(0.0).to_numpy(dtype=float))
        if not np.isnan(cuped.theta):
            y, test_kind, reduction = cuped.adjusted, "mean", float(cuped.variance_reduction)

    variants = [control_variant, *sorted(set(groups) - {control_variant})]
    arms = {v: _arm_summary(test_kind, y[groups == v], None if den is None else den[groups == v]) for v in variants}
    control = arms[control_variant]
    rows = []
    for variant in variants:
        arm = arms[variant]
        row: dict[str, Any] = {
            "variant": variant,
            "units": int(arm["n"]),
            "value": arm["value"],
            "control_value": control["value"],
            "cuped_variance_reduction": reduction,
        }
        if variant == control_variant:
            row.update(dict.fromkeys(_LIFT_FIELDS, np.nan), is_significant=False, mde_rel=np.nan)
        else:
            result = _compare(test_kind, arm, control, alpha)
            row.update({f: float(getattr(result, f)) for f in _LIFT_FIELDS})
            row["is_significant"] = bool(row["p_value"] < alpha)
            # a float64 division, so a zero control value (a segment where no control unit converted) gives
            # inf or nan as errstate intends, instead of a Python ZeroDivisionError
            with np.errstate(divide="ignore", invalid="ignore"):
                row["mde_rel"] = np.float64(_mde_abs(test_kind, arm, control, alpha, power)) / abs(
                    np.float64(control["value"])
                )
        rows.append(row)
    return _typed(pd.DataFrame(rows), COMPARISON_COLUMNS)


def segment_readout(
    units: pd.DataFrame,
    kind: str,
    control_variant: str = "control",
    alpha: float = 0.05,
    power: float = 0.8,
    use_cuped: bool = True,
    segment_col: str = "segment",
) -> pd.DataFrame:
    """`metric_readout` per segment, with Holm and Benjamini-Hochberg adjusted p-values.

    The family corrected for is every treatment-vs-control comparison across segments of this metric.
    Segments without control units are skipped; missing segments are labelled 'unknown'.
    """
    seg = units[segment_col].astype(object).where(units[segment_col].notna(), "unknown").astype(str)
    parts = []
    for name in sorted(seg.unique()):
        subset = units.loc[seg == name]
        if not (subset["variant"].astype(str) == control_variant).any():
            continue
        part = metric_readout(subset, kind, control_variant, alpha, power, use_cuped)
        parts.append(part.assign(segment=name))
    columns = ["segment", *COMPARISON_COLUMNS, "p_value_holm", "p_value_bh", "is_significant_holm", "is_significant_bh"]
    if not parts:
        return _typed(pd.DataFrame(), columns)
    out = pd.concat(parts, ignore_index=True)
    out["p_value_holm"] = holm_adjust(out["p_value"].to_numpy(dtype=float))
    out["p_value_bh"] = benjamini_hochberg_adjust(out["p_value"].to_numpy(dtype=float))
    out["is_significant_holm"] = out["p_value_holm"].lt(alpha)
    out["is_significant_bh"] = out["p_value_bh"].lt(alpha)
    return _typed(out, columns)


def _for_experiment(frame: pd.DataFrame, experiment_id: str) -> pd.DataFrame:
    if "experiment_id" in frame:
        return frame.loc[frame["experiment_id"].astype(str) == experiment_id]
    return frame


def _metric_units(clean: pd.DataFrame, unit_metrics: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Assigned units joined to one metric's values; units with no row for the metric count as zero."""
    rows = unit_metrics.loc[unit_metrics["metric"].astype(str) == metric]
    if rows["unit_id"].duplicated().any():
        raise ValueError(f"unit_metrics has more than one row per unit for metric {metric!r}")
    cols = [c for c in ("value", "denominator", "covariate") if c in rows]
    units = clean.merge(rows[["unit_id", *cols]], on="unit_id", how="left")
    units["value"] = units["value"].fillna(0.0) if "value" in units else 0.0
    if "denominator" in units:
        units["denominator"] = units["denominator"].fillna(0.0)
    if "covariate" in units:
        if units["covariate"].notna().any():
            units["covariate"] = units["covariate"].fillna(0.0)
        else:
            units = units.drop(columns="covariate")
    return units


def experiment_readout(
    assignments: pd.DataFrame,
    unit_metrics: pd.DataFrame,
    registry_row: Mapping[str, Any] | ExperimentSpec,
    metrics: Sequence[MetricSpec],
    power: float = 0.8,
    use_cuped: bool = True,
    max_multiple_variant_share: float = 0.01,
    srm_threshold: float = SRM_P_THRESHOLD,
) -> ExperimentReadout:
    """Full readout of one experiment: lifts per variant x metric, health checks and segment breakdowns.

    `assignments`: unit_id, variant (several rows per unit allowed, e.g. after identity stitching) and
    optionally segment. `unit_metrics`: long format unit_id, metric, value, plus denominator (ratio metrics)
    and covariate (pre-period value, for CUPED). Both may hold other experiments when they carry an
    experiment_id column. Units seen in several variants are excluded; assigned units with no metric row
    count as zero. Metrics read out: primary, guardrails, then any other catalogued metric present.
    """
    spec = registry_row if isinstance(registry_row, ExperimentSpec) else ExperimentSpec.from_registry_row(registry_row)
    exp_id = spec.experiment_id
    catalogue = {m.name: m for m in metrics}
    exp_assignments = _for_experiment(assignments, exp_id).astype({"variant": str})
    exp_metrics = _for_experiment(unit_metrics, exp_id)

    clean, excluded = exclude_multiple_variant_units(exp_assignments)
    counts = {v: 0 for v in spec.planned_split} | clean["variant"].value_counts().to_dict()
    counts = {str(k): int(v) for k, v in counts.items()}
    checks: list[HealthCheck] = [
        srm_check(counts, spec.planned_split, srm_threshold),
        multiple_variant_check(len(excluded), int(exp_assignments["unit_id"].nunique()), max_multiple_variant_share),
        minimum_sample_check(counts, spec.min_units_per_variant),
    ]

    present = [str(m) for m in pd.unique(exp_metrics["metric"].astype(str))]
    unknown = sorted(set(present) - set(catalogue))
    missing = sorted({spec.primary_metric, *spec.guardrail_metrics} - set(catalogue))
    if unknown or missing:
        raise ValueError(f"{exp_id}: metrics without a MetricSpec: {sorted(set(unknown) | set(missing))}")
    names = list(dict.fromkeys([spec.primary_metric, *spec.guardrail_metrics, *sorted(present)]))

    readouts, segments = [], []
    has_control = counts.get(spec.control_variant, 0) > 0
    for name in names if has_control else []:
        metric = catalogue[name]
        units = _metric_units(clean, exp_metrics, name)
        part = metric_readout(units, metric.kind, spec.control_variant, spec.alpha, power, use_cuped)
        readouts.append(
            part.assign(
                experiment_id=exp_id,
                metric=name,
                is_primary=name == spec.primary_metric,
                is_guardrail=name in spec.guardrail_metrics,
            )
        )
        if "segment" in units:
            seg = segment_readout(units, metric.kind, spec.control_variant, spec.alpha, power, use_cuped)
            segments.append(seg.assign(experiment_id=exp_id, metric=name))

    readout = _typed(pd.concat(readouts, ignore_index=True) if readouts else pd.DataFrame(), READOUT_COLUMNS)
    for name in spec.guardrail_metrics:
        rows = readout.loc[readout["metric"] == name]
        checks.append(guardrail_check(name, rows, catalogue[name].higher_is_better, spec.alpha))
    if not spec.guardrail_metrics:
        checks.append(HealthCheck("guardrail_degraded", False, "No guardrail metrics registered."))
    segment_frame = _typed(pd.concat(segments, ignore_index=True) if segments else pd.DataFrame(), SEGMENT_COLUMNS)
    return ExperimentReadout(readout, _typed(health_table(exp_id, checks), HEALTH_COLUMNS), segment_frame)


def readout_experiments(
    assignments: pd.DataFrame,
    unit_metrics: pd.DataFrame,
    registry: pd.DataFrame | Sequence[Mapping[str, Any]],
    metrics: Sequence[MetricSpec],
    **options: Any,
) -> ExperimentReadout:
    """`experiment_readout` for every registry row, concatenated (frames must carry experiment_id)."""
    rows = registry.to_dict("records") if isinstance(registry, pd.DataFrame) else list(registry)
    results = [experiment_readout(assignments, unit_metrics, row, metrics, **options) for row in rows]
    if not results:
        empty = pd.DataFrame()
        return ExperimentReadout(*(_typed(empty, c) for c in (READOUT_COLUMNS, HEALTH_COLUMNS, SEGMENT_COLUMNS)))
    return ExperimentReadout(
        *(
            _typed(pd.concat([getattr(r, field) for r in results], ignore_index=True), columns)
            for field, columns in (
                ("readout", READOUT_COLUMNS),
                ("health", HEALTH_COLUMNS),
                ("segments", SEGMENT_COLUMNS),
            )
        )
    )
