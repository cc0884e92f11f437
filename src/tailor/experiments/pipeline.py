"""What the experiment dbt models call: warehouse frames in; readout, health, segment and bandit frames out.

The statistics live in the sibling modules; this module only reshapes the registry seed and the unit-level
frames built in SQL, adds the checks and columns that need the build's context (runtime, power for a target
effect, a plain-language conclusion) and keeps the output schema stable for the marts' contracts.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tailor.experiments.bandit import thompson_allocation
from tailor.experiments.health import (
    HEALTH_COLUMNS,
    SRM_P_THRESHOLD,
    HealthCheck,
    exclude_multiple_variant_units,
    health_table,
)
from tailor.experiments.power import sample_size_from_mde
from tailor.experiments.readout import READOUT_COLUMNS, ExperimentReadout, readout_experiments
from tailor.experiments.registry import ExperimentSpec, MetricSpec, metric_specs_from_records, parse_list
from tailor.settings import parse_settings

# A failure of any of these makes the lifts themselves untrustworthy; a degraded guardrail does not (the
# comparison is sound, the treatment just should not ship).
TRUST_CHECKS = ("sample_ratio_mismatch", "multiple_variant_units", "minimum_sample", "minimum_runtime")
RESULT_COLUMNS = [
    *READOUT_COLUMNS[:2],
    "is_control",
    *READOUT_COLUMNS[2:],
    "units_needed_per_variant",
    "is_healthy",
    "is_trustworthy",
    "failed_health_checks",
    "conclusion",
]
PIPELINE_HEALTH_COLUMNS = [
    *["health_check" if c == "check" else c for c in HEALTH_COLUMNS[:4]],
    "is_blocking",
    *HEALTH_COLUMNS[4:],
]
BANDIT_COLUMNS = ["experiment_id", "metric", "variant", "successes", "trials", "rate", "prob_best", "allocation"]
UNIT_METRIC_COLUMNS = ["experiment_id", "unit_id", "metric", "value", "denominator", "covariate"]
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class ReadoutOptions:
    """The `experiments` var: knobs of a readout build, parsed strictly by `from_mapping`."""

    # power of the MDE and of the sample size needed for `target_relative_lift`
    power: float = 0.8
    target_relative_lift: float = 0.05
    # a sample-ratio mismatch is flagged below this chi-square p-value
    srm_p_threshold: float = SRM_P_THRESHOLD
    # the share of units exposed to several variants tolerated before the check fails
    max_multiple_variant_share: float = 0.01
    # a readout before a full weekly cycle over-weights early, heavy users
    min_runtime_days: float = 7.0
    use_cuped: bool = True
    # every arm keeps at least this share of traffic, so the bandit keeps learning
    bandit_floor: float = 0.05
    bandit_draws: int = 100_000
    bandit_seed: int = 0
    # the column of int_persons_attributes_resolved readouts are broken down by (read in SQL, by
    # int_experiment_exposures_stitched)
    segment_attribute: str = "loyalty_tier"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | str | None) -> ReadoutOptions:
        """The options from the `experiments` var (a mapping or its JSON); a missing key keeps the default."""
        return parse_settings(cls, mapping, "experiments")


def registry_rows(registry: pd.DataFrame) -> list[dict[str, Any]]:
    """Registry seed rows as readout rows: `variants` and `planned_split` ('|'-separated, same order) become a
    {variant: share} mapping and the first variant is the control."""
    rows = []
    for record in registry.to_dict("records"):
        row = dict(record)
        variants = parse_list(record.get("variants"))
        split = str(record["planned_split"])
        if variants and ":" not in split and not split.strip().startswith("{"):
            shares = [float(s) for s in split.replace(",", "|").split("|") if s.strip()]
            if len(shares) != len(variants):
                raise ValueError(f"{record['experiment_id']}: {len(variants)} variants but {len(shares)} shares")
            row["planned_split"] = dict(zip(variants, shares, strict=True))
        if variants and not row.get("control_variant"):
            row["control_variant"] = variants[0]
        rows.append(row)
    return rows


def runtime_check(
    started_at: pd.Timestamp, ended_at: pd.Timestamp, as_of: pd.Timestamp | None, min_days: float
) -> HealthCheck:
    """Fails while fewer than `min_days` of the experiment have run; `value` is the days run so far.

    A readout before a full weekly cycle over-weights the heavy users who show up first and the weekdays covered.
    """
    started, ended = pd.Timestamp(started_at), pd.Timestamp(ended_at)
    end = ended if as_of is None or pd.isna(as_of) else min(ended, pd.Timestamp(as_of))
    days = max((end - started).total_seconds() / _SECONDS_PER_DAY, 0.0)
    planned = (ended - started).total_seconds() / _SECONDS_PER_DAY
    state = "ended" if end >= ended else f"still running as of {end:%Y-%m-%d %H:%M}"
    failed = days < min_days
    message = f"Ran {days:.1f} of {planned:.1f} planned days ({state})"
    message += f"; fewer than the {min_days:g} days required." if failed else "."
    return HealthCheck("minimum_runtime", failed, message, value=days)


def _runtime_health(rows: Sequence[Mapping[str, Any]], as_of: pd.Timestamp | None, min_days: float) -> pd.DataFrame:
    frames = [
        health_table(str(r["experiment_id"]), [runtime_check(r["started_at"], r["ended_at"], as_of, min_days)])
        for r in rows
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=HEALTH_COLUMNS)


def failed_checks_by_experiment(health: pd.DataFrame) -> dict[str, list[str]]:
    """Names of the failed checks per experiment, guardrails suffixed with their metric: `guardrail_degraded(x)`."""
    check_col = "health_check" if "health_check" in health else "check"
    failed = health.loc[health["is_failed"].astype(bool)]
    out: dict[str, list[str]] = {}
    for rec in failed.to_dict("records"):
        name = str(rec[check_col])
        if isinstance(rec.get("metric"), str) and rec["metric"]:
            name = f"{name}({rec['metric']})"
        out.setdefault(str(rec["experiment_id"]), []).append(name)
    return out


def conclusion(row: Mapping[str, Any], higher_is_better: bool, failed: Sequence[str], control_variant: str) -> str:
    """Plain-language verdict of one readout row, so nobody reads a lift off an experiment that failed its checks."""
    if row["variant"] == control_variant:
        return "control"
    if any(name in TRUST_CHECKS for name in failed):
        return "not_trustworthy"
    if pd.isna(row["p_value"]):
        return "not_computable"
    if not row["is_significant"]:
        return "no_significant_difference"
    improved = (row["abs_lift"] > 0) == higher_is_better
    return "significantly_better" if improved else "significantly_worse"


def _enrich(
    readout: pd.DataFrame,
    health: pd.DataFrame,
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[MetricSpec],
    options: ReadoutOptions,
) -> pd.DataFrame:
    """Add power for the target effect, the experiment's health summary and the conclusion to each row."""
    out = readout.copy()
    direction = {m.name: m.higher_is_better for m in metrics}
    controls = {str(r["experiment_id"]): ExperimentSpec.from_registry_row(r).control_variant for r in rows}
    failed = failed_checks_by_experiment(health)
    is_control = out["variant"] == out["experiment_id"].map(controls)
    control_units = out.loc[is_control, ["experiment_id", "metric", "units"]].rename(columns={"units": "n_control"})
    n_control = out[["experiment_id", "metric"]].merge(control_units, on=["experiment_id", "metric"], how="left")
    needed = sample_size_from_mde(
        out["mde_rel"].to_numpy(dtype=float),
        out["units"].to_numpy(dtype=float),
        n_control["n_control"].to_numpy(dtype=float),
        options.target_relative_lift,
    )
    out["units_needed_per_variant"] = np.asarray(needed, dtype=float)
    out["is_control"] = is_control
    out["is_healthy"] = [not failed.get(e) for e in out["experiment_id"]]
    out["is_trustworthy"] = [not any(c in TRUST_CHECKS for c in failed.get(e, [])) for e in out["experiment_id"]]
    out["failed_health_checks"] = [", ".join(failed.get(e, [])) for e in out["experiment_id"]]
    out["conclusion"] = [
        conclusion(r, direction.get(r["metric"], True), failed.get(exp, []), controls[exp])
        for r in out.to_dict("records")
        for exp in [r["experiment_id"]]
    ]
    return out


def _typed(frame: pd.DataFrame, columns: Sequence[str], ints: Sequence[str] = ()) -> pd.DataFrame:
    """Columns in a fixed order with dtypes the marts' contracts expect, empty frames included."""
    text = {"experiment_id", "variant", "metric", "segment", "health_check", "message", "failed_health_checks"}
    text.add("conclusion")
    dtypes = {
        c: "str" if c in text else "bool" if c.startswith("is_") else "int64" if c in ints else "float64"
        for c in columns
    }
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})
    return frame[list(columns)].astype(dtypes).reset_index(drop=True)


def in_key_order(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The rows of `frame` sorted by `keys` (those it has), renumbered from 0. The warehouse hands a model its
    rows in whatever order its threads scanned them, and float sums over the rows (means, variances) change
    in the last bits with that order: sorting by a unique key first makes every readout the same on every
    run, to the last bit."""
    present = [key for key in keys if key in frame]
    return frame.sort_values(present, kind="mergesort", na_position="last", ignore_index=True)


def _assignments(exposures: pd.DataFrame, with_segments: bool) -> pd.DataFrame:
    frame = exposures.rename(columns={"experiment_unit_id": "unit_id"})
    cols = ["experiment_id", "unit_id", "variant"] + (["segment"] if with_segments and "segment" in frame else [])
    return in_key_order(frame[cols], cols)


def _unit_metrics(unit_metrics: pd.DataFrame) -> pd.DataFrame:
    frame = unit_metrics.rename(columns={"experiment_unit_id": "unit_id", "metric_value": "value"})
    return in_key_order(frame[[c for c in UNIT_METRIC_COLUMNS if c in frame]], ["experiment_id", "unit_id", "metric"])


def compute_readout(
    exposures: pd.DataFrame,
    unit_metrics: pd.DataFrame,
    registry: pd.DataFrame,
    metric_catalogue: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    options: ReadoutOptions | None = None,
    with_segments: bool = False,
) -> ExperimentReadout:
    """Readout, health and (optionally) segment frames of every registered experiment.

    `exposures`: experiment_id, experiment_unit_id, variant (one row per unit and variant seen) and segment.
    `unit_metrics`: experiment_id, experiment_unit_id, metric, value, denominator, covariate.
    `registry`: the experiment registry seed; `metric_catalogue`: the metric seed (metric, kind,
    higher_is_better). `as_of` is the data's "now", used for the runtime check.
    """
    options = options or ReadoutOptions()
    rows = registry_rows(registry)
    metrics = metric_specs_from_records(metric_catalogue.to_dict("records"))
    result = readout_experiments(
        _assignments(exposures, with_segments),
        _unit_metrics(unit_metrics),
        rows,
        metrics,
        power=options.power,
        use_cuped=options.use_cuped,
        max_multiple_variant_share=options.max_multiple_variant_share,
        srm_threshold=options.srm_p_threshold,
    )
    health = pd.concat([result.health, _runtime_health(rows, as_of, options.min_runtime_days)], ignore_index=True)
    order = {str(r["experiment_id"]): i for i, r in enumerate(rows)}
    health = health.sort_values("experiment_id", key=lambda s: s.map(order), kind="stable")
    health = health.rename(columns={"check": "health_check"})
    health["is_blocking"] = health["health_check"].isin(TRUST_CHECKS)
    readout = _enrich(result.readout, health, rows, metrics, options)
    return ExperimentReadout(
        _typed(readout, RESULT_COLUMNS, ints=("units",)),
        _typed(health, PIPELINE_HEALTH_COLUMNS),
        result.segments,
    )


def bandit_allocations(
    exposures: pd.DataFrame,
    unit_metrics: pd.DataFrame,
    registry: pd.DataFrame,
    metric_catalogue: pd.DataFrame,
    options: ReadoutOptions | None = None,
) -> pd.DataFrame:
    """Thompson-sampling allocation for the next period of every experiment whose primary metric is a proportion.

    Successes and trials are the raw (not CUPED-adjusted) conversions of the units seen in exactly one variant.
    """
    options = options or ReadoutOptions()
    kinds = {m.name: m.kind for m in metric_specs_from_records(metric_catalogue.to_dict("records"))}
    assignments = _assignments(exposures, with_segments=False)
    values = _unit_metrics(unit_metrics)
    frames = []
    for row in registry_rows(registry):
        spec = ExperimentSpec.from_registry_row(row)
        if kinds.get(spec.primary_metric) != "proportion":
            continue
        exp = assignments.loc[assignments["experiment_id"].astype(str) == spec.experiment_id].astype({"variant": str})
        clean, _ = exclude_multiple_variant_units(exp)
        primary = values.loc[
            (values["experiment_id"].astype(str) == spec.experiment_id) & (values["metric"] == spec.primary_metric),
            ["unit_id", "value"],
        ]
        units = clean.merge(primary, on="unit_id", how="left").fillna({"value": 0.0})
        variants = list(spec.planned_split) + sorted(set(units["variant"]) - set(spec.planned_split))
        grouped = units.groupby("variant")["value"].agg(["sum", "count"]).reindex(variants, fill_value=0)
        allocation = thompson_allocation(
            variants,
            grouped["sum"].to_numpy(dtype=float),
            grouped["count"].to_numpy(dtype=float),
            floor=options.bandit_floor,
            n_draws=options.bandit_draws,
            seed=options.bandit_seed,
        )
        frames.append(allocation.assign(experiment_id=spec.experiment_id, metric=spec.primary_metric))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _typed(frame, BANDIT_COLUMNS, ints=("successes", "trials"))



_SHARED_READOUT: dict[str, ExperimentReadout] = {}
_SHARED_READOUT_LOCK = threading.Lock()


def _fingerprint(frames: Sequence[pd.DataFrame], *others: object) -> str:
    """A digest of the frames' contents (columns, values, order) and of the other arguments."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(repr(list(frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(repr(others).encode())
    return digest.hexdigest()


def shared_readout(
    exposures: pd.DataFrame,
    unit_metrics: pd.DataFrame,
    registry: pd.DataFrame,
    metric_catalogue: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    options: ReadoutOptions | None = None,
) -> ExperimentReadout:
    """`compute_readout` with segments, once per distinct input in this process: the experiment models of a
    build (readouts, health, segments) each publish one part of the same computation, which dbt runs in one
    process. A second caller waits for the first rather than computing again; only the latest input is kept."""
    # in key order, so that the three models share one computation whatever order each read its rows in
    exposures = in_key_order(exposures, ["experiment_id", "experiment_unit_id", "variant", "segment"])
    unit_metrics = in_key_order(unit_metrics, ["experiment_id", "experiment_unit_id", "metric"])
    key = _fingerprint([exposures, unit_metrics, registry, metric_catalogue], as_of, options)
    with _SHARED_READOUT_LOCK:
        if key not in _SHARED_READOUT:
            _SHARED_READOUT.clear()
            _SHARED_READOUT[key] = compute_readout(
                exposures, unit_metrics, registry, metric_catalogue, as_of, options, with_segments=True
            )
        return _SHARED_READOUT[key]
