"""Pipeline checks of the experiment readout against the planted truth (experiments.json).

The planted A/B lifts must lie inside the readout's confidence intervals, the A/A test must not be significant
on its primary metric and the planted sample-ratio mismatch must be flagged. They read the built warehouse
(TAILOR_DUCKDB_PATH) and the truth (TAILOR_TRUTH), and skip only when those variables are unset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from tailor.warehouse import connect

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TAILOR_DUCKDB_PATH") and os.environ.get("TAILOR_TRUTH")),
    reason="TAILOR_DUCKDB_PATH and TAILOR_TRUTH name the built warehouse and its planted truth",
)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(os.environ["TAILOR_DUCKDB_PATH"])
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth() -> dict[str, dict[str, Any]]:
    return json.loads((Path(os.environ["TAILOR_TRUTH"]) / "experiments.json").read_text())


@pytest.fixture(scope="module")
def results(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql("select * from fct_experiment_results").df()


@pytest.fixture(scope="module")
def health(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql("select * from fct_experiment_health").df()


@pytest.fixture(scope="module")
def bandit(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql("select * from fct_bandit_allocations").df()


@pytest.fixture(scope="module")
def retained_units() -> pd.DataFrame:
    """Planted experiment units less the erased persons, whom erasure removes from every readout."""
    root = Path(os.environ["TAILOR_TRUTH"])
    units = pd.read_parquet(root / "experiment_units.parquet")
    persons = pd.read_parquet(root / "persons.parquet", columns=["person_key", "is_erased"])
    units = units.merge(persons, on="person_key", how="left", validate="many_to_one")
    return units.loc[~units["is_erased"].astype(bool)]


def _of_kind(truth: dict[str, dict[str, Any]], kind: str) -> list[str]:
    found = sorted(e for e, t in truth.items() if t["kind"] == kind)
    assert found, f"the truth plants no {kind} experiment"
    return found


def _treatment(results: pd.DataFrame, experiment_id: str, metric: str) -> pd.Series:
    rows = results.loc[(results["experiment_id"] == experiment_id) & (results["metric"] == metric)]
    treatment = rows.loc[~rows["is_control"]]
    assert len(treatment) == 1, f"{experiment_id} {metric}: expected one treatment row, got {len(treatment)}"
    return treatment.iloc[0]


def test_every_planted_experiment_is_read_out(results: pd.DataFrame, truth: dict) -> None:
    assert set(truth) <= set(results["experiment_id"]), "experiments in the truth without a readout"


def test_the_planted_ab_lifts_lie_inside_their_confidence_intervals(results: pd.DataFrame, truth: dict) -> None:
    for exp in _of_kind(truth, "ab"):
        for metric, lift in truth[exp]["planted_relative_lift"].items():
            row = _treatment(results, exp, metric)
            assert row["rel_lift_ci_low"] <= lift <= row["rel_lift_ci_high"], (
                f"{exp} {metric}: planted lift {lift:+.1%} outside the 95% CI "
                f"[{row['rel_lift_ci_low']:+.1%}, {row['rel_lift_ci_high']:+.1%}] (estimate {row['rel_lift']:+.1%})"
            )


def test_the_aa_test_is_not_significant_on_its_primary_metric(results: pd.DataFrame, truth: dict) -> None:
    for exp in _of_kind(truth, "aa"):
        row = _treatment(results, exp, truth[exp]["primary_metric"])
        assert row["p_value"] >= 0.05 and not row["is_significant"], f"{exp}: A/A p = {row['p_value']:.4f}"


def test_the_planted_srm_is_flagged_and_only_there(health: pd.DataFrame, results: pd.DataFrame, truth: dict) -> None:
    srm = health.loc[health["health_check"] == "sample_ratio_mismatch"].set_index("experiment_id")
    for exp, planted in truth.items():
        assert bool(srm.loc[exp, "is_failed"]) == planted["srm_expected"], f"{exp}: {srm.loc[exp, 'message']}"
        if planted["srm_expected"]:
            assert srm.loc[exp, "p_value"] < 0.001
            readout = results.loc[results["experiment_id"] == exp]
            assert not readout["is_trustworthy"].any()
            assert set(readout["conclusion"]) <= {"control", "not_trustworthy"}


def test_user_randomized_units_match_the_planted_assignment(
    results: pd.DataFrame, truth: dict, retained_units: pd.DataFrame
) -> None:
    """A user_id unit is one person, so stitching must give back exactly the planted (non-erased) units."""
    for exp, planted in truth.items():
        if planted["unit_type"] != "user_id":
            continue
        rows = results.loc[(results["experiment_id"] == exp) & (results["metric"] == planted["primary_metric"])]
        expected = retained_units.loc[retained_units["experiment_id"] == exp].groupby("variant").size()
        assert dict(zip(rows["variant"], rows["units"], strict=True)) == expected.to_dict(), exp


def test_raw_conversion_matches_the_realized_conversion(
    bandit: pd.DataFrame, truth: dict, retained_units: pd.DataFrame
) -> None:
    """The warehouse's conversion definition reproduces the generator's per-variant conversion exactly."""
    for exp, planted in truth.items():
        if planted["unit_type"] != "user_id":
            continue
        rows = bandit.loc[bandit["experiment_id"] == exp].set_index("variant")
        realized = retained_units.loc[retained_units["experiment_id"] == exp].groupby("variant")["converted"].mean()
        for variant, rate in realized.items():
            assert rows.loc[variant, "rate"] == pytest.approx(rate, abs=1e-9), f"{exp} {variant}"

