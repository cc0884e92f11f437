"""Experiment health checks. Each returns a `HealthCheck`: a pass/fail flag plus a message a human can act on.

A failed check means the readout should not be trusted (or, for guardrails, shipped) until explained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

SRM_P_THRESHOLD = 0.001
HEALTH_COLUMNS = ["experiment_id", "check", "metric", "is_failed", "value", "p_value", "message"]


@dataclass(frozen=True)
class HealthCheck:
    """Outcome of one check; `value` is the check's statistic (see each check), `metric` only for guardrails."""

    check: str
    is_failed: bool
    message: str
    value: float | None = None
    p_value: float | None = None
    metric: str | None = None


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def srm_check(
    counts: Mapping[str, int], planned_split: Mapping[str, float], threshold: float = SRM_P_THRESHOLD
) -> HealthCheck:
    """Sample-ratio mismatch: chi-square goodness of fit of unit counts to the planned split.

    Fails at p < `threshold` (0.001: with many experiments a looser bar cries wolf), or when units landed
    in a variant that is not in the plan. `value` is the chi-square statistic.
    """
    unexpected = sorted(v for v, c in counts.items() if c > 0 and planned_split.get(v, 0) <= 0)
    planned = [v for v in planned_split if planned_split[v] > 0]
    observed = np.array([counts.get(v, 0) for v in planned], dtype=float)
    total = observed.sum()
    if unexpected:
        return HealthCheck(
            "sample_ratio_mismatch", True, f"Units assigned to unplanned variant(s): {', '.join(unexpected)}."
        )
    if total == 0 or len(planned) < 2:
        return HealthCheck("sample_ratio_mismatch", False, "Not enough variants or units to test the split.")
    shares = np.array([planned_split[v] for v in planned], dtype=float)
    expected = total * shares / shares.sum()
    statistic = float(((observed - expected) ** 2 / expected).sum())
    p_value = float(stats.chi2.sf(statistic, df=len(planned) - 1))
    detail = ", ".join(
        f"{v} {int(o)} ({o / total:.1%} vs planned {s / shares.sum():.1%})"
        for v, o, s in zip(planned, observed, shares, strict=True)
    )
    failed = p_value < threshold
    verdict = "Sample ratio mismatch" if failed else "Split matches plan"
    return HealthCheck(
        "sample_ratio_mismatch",
        failed,
        f"{verdict}: {detail}; chi-square p = {_fmt_p(p_value)}.",
        value=statistic,
        p_value=p_value,
    )


def exclude_multiple_variant_units(
    assignments: pd.DataFrame, unit_col: str = "unit_id", variant_col: str = "variant"
) -> tuple[pd.DataFrame, pd.Index]:
    """One row per unit seen in exactly one variant, plus the ids of units seen in more than one.

    Run it on assignments after identity stitching (unit = person): a person reached on two devices can
    carry two variants, and keeping them would leak treatment into control.
    """
    n_variants = assignments.groupby(unit_col, sort=True)[variant_col].nunique()
    excluded = n_variants.index[n_variants > 1]
    clean = assignments.loc[~assignments[unit_col].isin(excluded)]
    clean = clean.drop_duplicates(subset=[unit_col], keep="first").reset_index(drop=True)
    return clean, excluded


def multiple_variant_check(n_excluded: int, n_units: int, max_share: float = 0.01) -> HealthCheck:
    """Units exposed to more than one variant; fails when their share of all units exceeds `max_share`.

    `value` is the number of excluded units.
    """
    share = n_excluded / n_units if n_units else 0.0
    failed = share > max_share
    return HealthCheck(
        "multiple_variant_units",
        failed,
        f"{n_excluded} of {n_units} units ({share:.2%}) saw more than one variant and were excluded"
        + (f"; above the {max_share:.2%} tolerance." if failed else "."),
        value=float(n_excluded),
    )


def minimum_sample_check(counts: Mapping[str, int], min_units: int) -> HealthCheck:
    """Fails while any variant has fewer than `min_units` units (or none at all).

    `value` is the smallest variant's count; pass planned variants with a zero count so they are seen.
    """
    if not counts:
        return HealthCheck("minimum_sample", True, "No units assigned yet.", value=0.0)
    min_units = max(int(min_units), 1)
    smallest = min(counts, key=lambda v: counts[v])
    short = sorted(v for v, c in counts.items() if c < min_units)
    failed = bool(short)
    if failed:
        message = f"Minimum sample not reached: {', '.join(f'{v} {counts[v]}' for v in short)} < {min_units}."
    else:
        message = f"Every variant has at least {min_units} units (smallest: {smallest} {counts[smallest]})."
    return HealthCheck("minimum_sample", failed, message, value=float(counts[smallest]))


def guardrail_check(
    metric: str, comparisons: pd.DataFrame, higher_is_better: bool = True, alpha: float = 0.05
) -> HealthCheck:
    """Fails when any treatment moves the guardrail significantly (p < alpha) in the bad direction.

    `comparisons` holds one row per treatment with columns variant, rel_lift, abs_lift, p_value (control
    rows, with NaN p-values, are ignored). `value` is the worst variant's relative lift.
    """
    rows = comparisons.dropna(subset=["p_value"])
    if rows.empty:
        return HealthCheck("guardrail_degraded", False, f"No comparison available for {metric}.", metric=metric)
    sign = 1.0 if higher_is_better else -1.0
    bad = rows.loc[(sign * rows["abs_lift"] < 0) & (rows["p_value"] < alpha)]
    pool = bad if not bad.empty else rows
    worst = pool.loc[(sign * pool["abs_lift"]).idxmin()]
    direction = "dropped" if worst["abs_lift"] < 0 else "rose"
    change = f"{metric} {direction} {abs(worst['rel_lift']):.2%} in {worst['variant']}"
    if bad.empty:
        message = f"Guardrail {metric} holds (worst move: {change}, p = {_fmt_p(worst['p_value'])})."
    else:
        message = f"Guardrail degraded: {change} (p = {_fmt_p(worst['p_value'])} < {alpha})."
    return HealthCheck(
        "guardrail_degraded",
        not bad.empty,
        message,
        value=float(worst["rel_lift"]),
        p_value=float(worst["p_value"]),
        metric=metric,
    )


def health_table(experiment_id: str, checks: Sequence[HealthCheck]) -> pd.DataFrame:
    """Tidy health table: one row per check (guardrails: one per guardrail metric)."""
    rows = [{"experiment_id": experiment_id, **asdict(c)} for c in checks]
    frame = pd.DataFrame(rows, columns=HEALTH_COLUMNS)
    return frame.astype({"is_failed": bool, "value": float, "p_value": float})
