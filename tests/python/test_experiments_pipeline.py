"""The glue the experiment dbt models call: registry parsing, runtime check, enriched readout, bandit frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.commands.experiments import format_experiment
from tailor.experiments import mde_proportion, sample_size_from_mde
from tailor.experiments.pipeline import (
    BANDIT_COLUMNS,
    PIPELINE_HEALTH_COLUMNS,
    RESULT_COLUMNS,
    ReadoutOptions,
    bandit_allocations,
    compute_readout,
    conclusion,
    registry_rows,
    runtime_check,
    shared_readout,
)

START, END = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-22")
REGISTRY = pd.DataFrame(
    {
        "experiment_id": ["exp_ab", "exp_srm"],
        "name": ["A/B", "SRM"],
        "primary_metric": ["conversion_rate", "conversion_rate"],
        "guardrail_metrics": ["revenue_per_user", None],
        "variants": ["control|treatment", "control|treatment"],
        "planned_split": ["0.5|0.5", "0.5|0.5"],
        "started_at": [START, START],
        "ended_at": [END, END],
        "min_units_per_variant": [100, 100],
    }
)
CATALOGUE = pd.DataFrame(
    {
        "metric": ["conversion_rate", "revenue_per_user", "rec_ctr"],
        "kind": ["proportion", "mean", "ratio"],
        "higher_is_better": [True, True, True],
    }
)


def _frames(seed: int = 7, n: int = 4000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit-level frames: exp_ab lifts conversion 0.20 -> 0.26, exp_srm is split 60/40 with no effect."""
    rng = np.random.default_rng(seed)
    exposures, metrics = [], []
    for exp, share_t, lift in (("exp_ab", 0.5, 0.06), ("exp_srm", 0.4, 0.0)):
        units = np.array([f"{exp}_p{i}" for i in range(n)])
        treated = rng.random(n) < share_t
        variant = np.where(treated, "treatment", "control")
        pre = (rng.random(n) < 0.2).astype(float)
        converted = (rng.random(n) < 0.2 + lift * treated + 0.1 * pre).astype(float)
        revenue = converted * rng.gamma(2.0, 20.0, n)
        exposures.append(pd.DataFrame({"experiment_id": exp, "experiment_unit_id": units, "variant": variant,
                                       "segment": np.where(rng.random(n) < 0.5, "gold", "unknown")}))
        for metric, value, den, cov in (
            ("conversion_rate", converted, np.nan, pre),
            ("revenue_per_user", revenue, np.nan, pre * 30.0),
            ("rec_ctr", rng.poisson(1.0, n).astype(float), 10.0, np.nan),
        ):
            metrics.append(pd.DataFrame({"experiment_id": exp, "experiment_unit_id": units, "metric": metric,
                                         "value": value, "denominator": den, "covariate": cov}))
    # one person of exp_ab saw both arms
    exposures.append(pd.DataFrame({"experiment_id": ["exp_ab"], "experiment_unit_id": ["exp_ab_p0"],
                                   "variant": ["treatment" if exposures[0].loc[0, "variant"] == "control"
                                               else "control"], "segment": ["gold"]}))
    return pd.concat(exposures, ignore_index=True), pd.concat(metrics, ignore_index=True)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _frames()


def test_registry_rows_zip_variants_and_shares_and_take_the_first_variant_as_control() -> None:
    rows = registry_rows(REGISTRY)
    assert rows[0]["planned_split"] == {"control": 0.5, "treatment": 0.5}
    assert rows[0]["control_variant"] == "control"
    bad = REGISTRY.assign(planned_split=["0.5|0.3|0.2", "0.5|0.5"])
    with pytest.raises(ValueError, match="2 variants but 3 shares"):
        registry_rows(bad)


def test_options_read_the_var_strictly_and_keep_defaults_for_missing_values() -> None:
    options = ReadoutOptions.from_mapping('{"power": 0.9, "use_cuped": false, "bandit_draws": 5000}')
    assert options.power == 0.9 and options.use_cuped is False and options.bandit_draws == 5000
    assert options.srm_p_threshold == 0.001
    assert ReadoutOptions.from_mapping(None) == ReadoutOptions()
    with pytest.raises(ValueError, match="unknown experiments setting.*: x;"):
        ReadoutOptions.from_mapping({"x": 1})
    with pytest.raises(ValueError, match="experiments.use_cuped must be true or false"):
        ReadoutOptions.from_mapping({"use_cuped": "False"})


def test_runtime_check_fails_before_the_minimum_and_says_when_still_running() -> None:
    early = runtime_check(START, END, START + pd.Timedelta(days=3), 7)
    assert early.is_failed and early.value == pytest.approx(3.0) and "still running" in early.message
    done = runtime_check(START, END, END + pd.Timedelta(days=5), 7)
    assert not done.is_failed and done.value == pytest.approx(21.0) and "(ended)" in done.message


def test_sample_size_from_mde_gives_the_units_at_which_the_mde_equals_the_target() -> None:
    n_t, n_c, p = 800.0, 1200.0, 0.2
    mde_rel = mde_proportion(p, n_t, n_c) / p
    needed = sample_size_from_mde(mde_rel, n_t, n_c, 0.05)
    assert mde_proportion(p, needed, needed) / p == pytest.approx(0.05, rel=1e-3)
    assert np.isnan(sample_size_from_mde(np.nan, n_t, n_c, 0.05))


def test_conclusion_reads_direction_and_refuses_untrustworthy_experiments() -> None:
    row = {"variant": "treatment", "p_value": 0.01, "is_significant": True, "abs_lift": -0.1}
    assert conclusion(row, True, [], "control") == "significantly_worse"
    assert conclusion(row, False, [], "control") == "significantly_better"
    assert conclusion(row, True, ["guardrail_degraded(x)"], "control") == "significantly_worse"
    assert conclusion(row, True, ["sample_ratio_mismatch"], "control") == "not_trustworthy"
    assert conclusion({**row, "variant": "control"}, True, ["sample_ratio_mismatch"], "control") == "control"


def test_compute_readout_enriches_the_readout_and_adds_the_runtime_check(frames) -> None:
    exposures, metrics = frames
    result = compute_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END, with_segments=True)
    readout, health = result.readout, result.health
    assert list(readout.columns) == RESULT_COLUMNS and list(health.columns) == PIPELINE_HEALTH_COLUMNS
    ab = readout.loc[(readout["experiment_id"] == "exp_ab") & (readout["metric"] == "conversion_rate")]
    treatment = ab.loc[~ab["is_control"]].iloc[0]
    assert treatment["conclusion"] == "significantly_better"
    assert treatment["rel_lift_ci_low"] < 0.30 < treatment["rel_lift_ci_high"]
    assert treatment["cuped_variance_reduction"] > 0
    assert np.isfinite(treatment["units_needed_per_variant"]) and np.isnan(ab.loc[ab["is_control"]].iloc[0][
        "units_needed_per_variant"])
    assert ab["units"].sum() == 3999  # the unit seen in both arms is excluded
    srm = readout.loc[readout["experiment_id"] == "exp_srm"]
    assert not srm["is_trustworthy"].any() and set(srm["conclusion"]) == {"control", "not_trustworthy"}
    assert srm["failed_health_checks"].str.contains("sample_ratio_mismatch").all()
    checks = health.set_index(["experiment_id", "health_check"])
    assert checks.loc[("exp_srm", "sample_ratio_mismatch"), "is_failed"]
    assert checks.loc[("exp_ab", "minimum_runtime"), "value"] == pytest.approx(21.0)
    assert checks["is_blocking"].groupby(level="health_check").first().to_dict() == {
        "guardrail_degraded": False,
        "minimum_runtime": True,
        "minimum_sample": True,
        "multiple_variant_units": True,
        "sample_ratio_mismatch": True,
    }
    assert set(result.segments["segment"]) == {"gold", "unknown"}


def test_shared_readout_computes_once_and_matches_the_readout_without_segments(frames) -> None:
    exposures, metrics = frames
    shared = shared_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END)
    assert shared_readout(exposures.copy(), metrics.copy(), REGISTRY, CATALOGUE, as_of=END) is shared
    plain = compute_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END)
    pd.testing.assert_frame_equal(shared.readout, plain.readout)
    pd.testing.assert_frame_equal(shared.health, plain.health)
    assert len(shared.segments) > 0
    later = shared_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END + pd.Timedelta(days=1))
    assert later is not shared


def test_readout_is_the_same_to_the_last_bit_whatever_order_the_rows_come_in(frames) -> None:
    # the warehouse hands a model its rows in scan order, which varies between runs
    exposures, metrics = frames
    first = compute_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END, with_segments=True)
    shuffled_exposures = exposures.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled_metrics = metrics.sample(frac=1.0, random_state=4).reset_index(drop=True)
    again = compute_readout(shuffled_exposures, shuffled_metrics, REGISTRY, CATALOGUE, as_of=END, with_segments=True)
    pd.testing.assert_frame_equal(first.readout, again.readout, check_exact=True)
    pd.testing.assert_frame_equal(first.health, again.health, check_exact=True)
    pd.testing.assert_frame_equal(first.segments, again.segments, check_exact=True)
    # and the three readout models share one computation whatever order each read its rows in
    shared = shared_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END)
    assert shared_readout(shuffled_exposures, shuffled_metrics, REGISTRY, CATALOGUE, as_of=END) is shared


def test_compute_readout_handles_no_experiments() -> None:
    empty = pd.DataFrame(columns=["experiment_id", "experiment_unit_id", "variant", "metric", "value"])
    result = compute_readout(empty, empty, REGISTRY.iloc[:0], CATALOGUE)
    assert result.readout.empty and list(result.readout.columns) == RESULT_COLUMNS
    assert result.health.empty and list(result.health.columns) == PIPELINE_HEALTH_COLUMNS


def test_bandit_favours_the_better_arm_keeps_the_floor_and_excludes_leaked_units(frames) -> None:
    exposures, metrics = frames
    options = ReadoutOptions(bandit_floor=0.05, bandit_draws=20_000, bandit_seed=3)
    alloc = bandit_allocations(exposures, metrics, REGISTRY, CATALOGUE, options)
    assert list(alloc.columns) == BANDIT_COLUMNS
    ab = alloc.loc[alloc["experiment_id"] == "exp_ab"].set_index("variant")
    assert ab.loc["treatment", "prob_best"] > 0.99
    assert ab.loc["control", "allocation"] == pytest.approx(0.05)
    assert ab["allocation"].sum() == pytest.approx(1.0)
    assert ab["trials"].sum() == 3999
    assert alloc.equals(bandit_allocations(exposures, metrics, REGISTRY, CATALOGUE, options))  # seeded


def test_format_experiment_prints_health_lifts_and_allocation(frames) -> None:
    exposures, metrics = frames
    result = compute_readout(exposures, metrics, REGISTRY, CATALOGUE, as_of=END)
    results = (
        result.readout.loc[result.readout["experiment_id"] == "exp_srm"]
        .rename(columns={"value": "variant_value"})
        .assign(experiment_name="SRM", metric_kind="proportion", as_of_at=END)
    )
    health = result.health.loc[result.health["experiment_id"] == "exp_srm"].assign(
        health_status=lambda h: np.where(h["is_failed"], "failed", "passed"), expectation_reason=None
    )
    bandit = bandit_allocations(exposures, metrics, REGISTRY, CATALOGUE).query("experiment_id == 'exp_srm'")
    text = "\n".join(format_experiment(results, health, bandit.assign(is_experiment_trustworthy=False)))
    assert "NOT TRUSTWORTHY" in text and "[FAIL ] sample_ratio_mismatch" in text
    assert "bandit on conversion_rate" in text and "do not act" in text
