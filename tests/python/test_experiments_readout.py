"""End-to-end readout of synthetic experiments with planted effects, checked against the building blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.experiments import (
    READOUT_COLUMNS,
    SEGMENT_COLUMNS,
    MetricSpec,
    benjamini_hochberg_adjust,
    experiment_readout,
    holm_adjust,
    metric_readout,
    ratio_delta_test,
    ratio_moments,
    readout_experiments,
    two_proportion_test,
    welch_test,
)

METRICS = [
    MetricSpec("conversion", "proportion"),
    MetricSpec("revenue", "mean"),
    MetricSpec("rec_ctr", "ratio"),
    MetricSpec("bounce", "proportion", higher_is_better=False),
]
REGISTRY = pd.DataFrame(
    {
        "experiment_id": ["exp_ab", "exp_srm"],
        "planned_split": ["control:50|treatment:50", "control:50|treatment:50"],
        "primary_metric": ["conversion", "conversion"],
        "guardrail_metrics": ["bounce", None],
        "min_units_per_variant": [1000, 100],
    }
)


def _experiment(experiment_id: str, n_control: int, n_treatment: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assignments and long unit metrics: +40% conversion, +10% revenue, bounce up in treatment."""
    rng = np.random.default_rng(seed)
    variant = np.array(["control"] * n_control + ["treatment"] * n_treatment)
    is_t = variant == "treatment"
    n = variant.size
    unit_id = np.array([f"{experiment_id}_p{i}" for i in range(n)])
    pre_revenue = rng.gamma(2.0, 10.0, size=n)
    revenue = 0.8 * pre_revenue + rng.gamma(2.0, 5.0, size=n) + np.where(is_t, 2.8, 0.0)
    conversion = rng.random(n) < np.where(is_t, 0.14, 0.10)
    bounce = rng.random(n) < np.where(is_t, 0.45, 0.40)
    impressions = rng.poisson(5, size=n)
    clicks = rng.binomial(impressions, 0.1)
    assignments = pd.DataFrame(
        {"experiment_id": experiment_id, "unit_id": unit_id, "variant": variant, "segment": rng.choice(["a", "b"], n)}
    )
    converted = np.flatnonzero(conversion)  # only converters get a row: the rest must count as zero
    metrics = pd.concat(
        [
            pd.DataFrame({"unit_id": unit_id[converted], "metric": "conversion", "value": 1.0}),
            pd.DataFrame({"unit_id": unit_id, "metric": "revenue", "value": revenue, "covariate": pre_revenue}),
            pd.DataFrame({"unit_id": unit_id, "metric": "rec_ctr", "value": clicks, "denominator": impressions}),
            pd.DataFrame({"unit_id": unit_id, "metric": "bounce", "value": bounce.astype(float)}),
        ],
        ignore_index=True,
    ).assign(experiment_id=experiment_id)
    return assignments, metrics


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    a1, m1 = _experiment("exp_ab", 4000, 4000, seed=1)
    a2, m2 = _experiment("exp_srm", 600, 400, seed=2)
    # a stitched person seen in both variants: excluded from the readout
    a1 = pd.concat([a1, a1.iloc[[0]].assign(variant="treatment")], ignore_index=True)
    return pd.concat([a1, a2], ignore_index=True), pd.concat([m1, m2], ignore_index=True)


@pytest.fixture(scope="module")
def result(data):
    return experiment_readout(*data, REGISTRY.iloc[0].to_dict(), METRICS)


def test_readout_shape_and_flags(result):
    readout = result.readout
    assert list(readout.columns) == READOUT_COLUMNS
    assert readout["metric"].unique().tolist() == ["conversion", "bounce", "rec_ctr", "revenue"]
    assert len(readout) == 8 and (readout["experiment_id"] == "exp_ab").all()
    assert readout.loc[readout["is_primary"], "metric"].unique().tolist() == ["conversion"]
    assert readout.loc[readout["is_guardrail"], "metric"].unique().tolist() == ["bounce"]
    control = readout.loc[readout["variant"] == "control"]
    assert control["p_value"].isna().all() and not control["is_significant"].any()
    assert control["units"].tolist() == [3999] * 4  # the multi-variant unit is gone


def test_invariant_abs_lift_is_value_minus_control(result):
    t = result.readout.loc[result.readout["variant"] == "treatment"]
    assert (t["abs_lift"] - (t["value"] - t["control_value"])).abs().max() < 1e-12
    assert ((t["abs_lift_ci_low"] <= t["abs_lift"]) & (t["abs_lift"] <= t["abs_lift_ci_high"])).all()
    assert ((t["rel_lift_ci_low"] <= t["rel_lift"]) & (t["rel_lift"] <= t["rel_lift_ci_high"])).all()


def _row(result, metric: str, variant: str = "treatment") -> pd.Series:
    r = result.readout
    return r.loc[(r["metric"] == metric) & (r["variant"] == variant)].iloc[0]


def test_proportion_row_matches_z_test_with_missing_units_as_zero(data, result):
    assignments, metrics = data
    clean = assignments.loc[(assignments["experiment_id"] == "exp_ab")].drop_duplicates("unit_id", keep=False)
    converters = set(metrics.loc[metrics["metric"] == "conversion", "unit_id"])
    conv = clean["unit_id"].isin(converters)
    x_t, n_t = conv[clean["variant"] == "treatment"].sum(), (clean["variant"] == "treatment").sum()
    x_c, n_c = conv[clean["variant"] == "control"].sum(), (clean["variant"] == "control").sum()
    expected = two_proportion_test(x_t, n_t, x_c, n_c)
    row = _row(result, "conversion")
    assert row["units"] == n_t and row["value"] == pytest.approx(x_t / n_t)
    assert row["p_value"] == pytest.approx(expected.p_value)
    assert row["rel_lift_ci_low"] == pytest.approx(expected.rel_lift_ci_low)
    assert row["is_significant"] and np.isnan(row["cuped_variance_reduction"]) and row["mde_rel"] > 0


def test_ratio_row_matches_delta_method(data, result):
    _, metrics = data
    m = metrics.loc[(metrics["metric"] == "rec_ctr") & (metrics["experiment_id"] == "exp_ab")].iloc[1:]
    is_t = m["unit_id"].str.slice(8).astype(int) >= 4000
    _, r_t, v_t = ratio_moments(m.loc[is_t, "value"], m.loc[is_t, "denominator"])
    _, r_c, v_c = ratio_moments(m.loc[~is_t, "value"], m.loc[~is_t, "denominator"])
    assert _row(result, "rec_ctr")["p_value"] == pytest.approx(ratio_delta_test(r_t, v_t, r_c, v_c).p_value)


def test_cuped_shrinks_revenue_ci_and_reports_reduction(data):
    assignments, metrics = data
    with_cuped = experiment_readout(assignments, metrics, REGISTRY.iloc[0].to_dict(), METRICS)
    without = experiment_readout(assignments, metrics, REGISTRY.iloc[0].to_dict(), METRICS, use_cuped=False)
    a, b = _row(with_cuped, "revenue"), _row(without, "revenue")
    assert 0.3 < a["cuped_variance_reduction"] < 0.9 and np.isnan(b["cuped_variance_reduction"])
    width = a["abs_lift_ci_high"] - a["abs_lift_ci_low"]
    assert width < 0.85 * (b["abs_lift_ci_high"] - b["abs_lift_ci_low"])
    assert a["mde_rel"] < b["mde_rel"]
    assert a["abs_lift_ci_low"] < 2.8 < a["abs_lift_ci_high"]


def test_health_table(result):
    health = result.health.set_index("check")
    assert health.index.tolist() == [
        "sample_ratio_mismatch",
        "multiple_variant_units",
        "minimum_sample",
        "guardrail_degraded",
    ]
    assert not health.loc["sample_ratio_mismatch", "is_failed"]
    assert health.loc["multiple_variant_units", "value"] == 1 and not health.loc["multiple_variant_units", "is_failed"]
    assert not health.loc["minimum_sample", "is_failed"]
    assert health.loc["guardrail_degraded", "is_failed"]  # bounce rises 40% -> 45%
    assert health.loc["guardrail_degraded", "metric"] == "bounce"


def test_segments_carry_holm_and_bh(result):
    seg = result.segments
    assert list(seg.columns) == SEGMENT_COLUMNS
    assert set(seg["segment"]) == {"a", "b"}
    for _, family in seg.groupby("metric"):
        assert family["p_value_holm"].to_numpy() == pytest.approx(holm_adjust(family["p_value"]), nan_ok=True)
        assert family["p_value_bh"].to_numpy() == pytest.approx(
            benjamini_hochberg_adjust(family["p_value"]), nan_ok=True
        )


def test_readout_experiments_over_registry_flags_srm(data):
    out = readout_experiments(*data, REGISTRY, METRICS)
    assert set(out.readout["experiment_id"]) == {"exp_ab", "exp_srm"}
    srm = out.health.loc[(out.health["experiment_id"] == "exp_srm") & (out.health["check"] == "sample_ratio_mismatch")]
    assert srm["is_failed"].item() and srm["p_value"].item() < 0.001
    no_guardrail = out.health.loc[
        (out.health["experiment_id"] == "exp_srm") & (out.health["check"] == "guardrail_degraded")
    ]
    assert not no_guardrail["is_failed"].item()


def test_metric_readout_mean_without_covariate_matches_welch():
    units = pd.DataFrame({"variant": ["control"] * 3 + ["b"] * 5, "value": [2.0, 4, 6, 1, 2, 3, 4, 5]})
    out = metric_readout(units, "mean")
    assert out["variant"].tolist() == ["control", "b"]
    expected = welch_test(3.0, 2.5, 5, 4.0, 4.0, 3)
    assert out.loc[1, "p_value"] == pytest.approx(expected.p_value)
    assert out.loc[1, "rel_lift"] == pytest.approx(-0.25)


def test_metric_readout_validates_inputs():
    units = pd.DataFrame({"variant": ["control", "b"], "value": [0.0, 2.0]})
    with pytest.raises(ValueError, match="0/1"):
        metric_readout(units, "proportion")
    with pytest.raises(ValueError, match="control"):
        metric_readout(units, "mean", control_variant="ctl")
    with pytest.raises(ValueError, match="denominator"):
        metric_readout(units, "ratio")


def test_unknown_metric_raises(data):
    assignments, metrics = data
    with pytest.raises(ValueError, match="MetricSpec"):
        experiment_readout(assignments, metrics, REGISTRY.iloc[0].to_dict(), METRICS[:2])


def test_experiment_without_units_gives_typed_empty_readout_and_failing_health(data):
    assignments, metrics = data
    row = {"experiment_id": "exp_new", "planned_split": "control:50|treatment:50", "primary_metric": "conversion"}
    out = experiment_readout(assignments, metrics, row, METRICS)
    assert out.readout.empty and list(out.readout.columns) == READOUT_COLUMNS
    assert out.readout["is_significant"].dtype == bool and out.readout["units"].dtype == "int64"
    assert out.segments.empty and list(out.segments.columns) == SEGMENT_COLUMNS
    health = out.health.set_index("check")
    assert health.loc["minimum_sample", "is_failed"] and not health.loc["sample_ratio_mismatch", "is_failed"]
