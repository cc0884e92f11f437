"""Health checks and registry parsing."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from tailor.experiments import (
    ExperimentSpec,
    MetricSpec,
    exclude_multiple_variant_units,
    guardrail_check,
    health_table,
    metric_specs_from_records,
    minimum_sample_check,
    multiple_variant_check,
    srm_check,
)
from tailor.experiments.registry import parse_list, parse_split

FIFTY_FIFTY = {"control": 0.5, "treatment": 0.5}


def test_srm_flags_60_40_by_hand():
    check = srm_check({"control": 600, "treatment": 400}, FIFTY_FIFTY)
    # chi2 = 2 * 100^2 / 500 = 40 on 1 df
    assert check.is_failed and check.value == pytest.approx(40.0)
    assert check.p_value == pytest.approx(stats.chi2.sf(40.0, 1))
    assert "60.0%" in check.message and "planned 50.0%" in check.message


def test_srm_passes_small_imbalance_and_handles_uneven_three_way_plan():
    assert not srm_check({"control": 510, "treatment": 490}, FIFTY_FIFTY).is_failed
    counts = {"control": 520, "a": 240, "b": 240}
    check = srm_check(counts, {"control": 2, "a": 1, "b": 1})
    assert check.p_value == pytest.approx(stats.chisquare([520, 240, 240], [500, 250, 250]).pvalue)
    assert not check.is_failed


def test_srm_fails_on_unplanned_variant():
    check = srm_check({"control": 500, "treatment": 500, "rogue": 3}, FIFTY_FIFTY)
    assert check.is_failed and "rogue" in check.message


def test_exclude_multiple_variant_units():
    assignments = pd.DataFrame(
        {
            "unit_id": ["p1", "p1", "p2", "p2", "p3", "p4"],
            "variant": ["control", "treatment", "control", "control", "treatment", "control"],
        }
    )
    clean, excluded = exclude_multiple_variant_units(assignments)
    assert list(excluded) == ["p1"]
    assert clean["unit_id"].tolist() == ["p2", "p3", "p4"]  # p2's duplicate row collapses to one unit
    check = multiple_variant_check(len(excluded), 4, max_share=0.01)
    assert check.is_failed and check.value == 1 and "1 of 4 units (25.00%)" in check.message
    assert not multiple_variant_check(1, 1000, max_share=0.01).is_failed


def test_minimum_sample_check():
    failed = minimum_sample_check({"control": 120, "treatment": 80}, 100)
    assert failed.is_failed and failed.value == 80 and "treatment 80 < 100" in failed.message
    assert not minimum_sample_check({"control": 120, "treatment": 100}, 100).is_failed
    assert minimum_sample_check({"control": 10, "treatment": 0}, 0).is_failed  # an empty variant never passes


def _comparisons(abs_lift: float, p_value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": ["control", "treatment"],
            "abs_lift": [math.nan, abs_lift],
            "rel_lift": [math.nan, abs_lift / 0.1],
            "p_value": [math.nan, p_value],
        }
    )


def test_guardrail_check_direction_and_significance():
    assert guardrail_check("aov", _comparisons(-0.01, 0.01), higher_is_better=True).is_failed
    assert not guardrail_check("aov", _comparisons(-0.01, 0.20), higher_is_better=True).is_failed
    assert not guardrail_check("aov", _comparisons(0.01, 0.01), higher_is_better=True).is_failed
    bounce = guardrail_check("bounce", _comparisons(0.01, 0.01), higher_is_better=False)
    assert bounce.is_failed and bounce.metric == "bounce" and "bounce rose 10.00%" in bounce.message


def test_health_table_columns():
    frame = health_table("exp", [srm_check({"control": 600, "treatment": 400}, FIFTY_FIFTY)])
    assert list(frame.columns) == ["experiment_id", "check", "metric", "is_failed", "value", "p_value", "message"]
    assert frame["is_failed"].dtype == bool


def test_parse_split_formats():
    expected = {"control": 0.5, "treatment": 0.5}
    assert parse_split("control:50|treatment:50") == expected
    assert parse_split("control:1, treatment:1") == expected
    assert parse_split('{"control": 0.5, "treatment": 0.5}') == expected
    assert parse_split({"control": 60, "treatment": 40}) == {"control": 0.6, "treatment": 0.4}
    with pytest.raises(ValueError):
        parse_split("control:100")


def test_registry_row_defaults_and_lists():
    spec = ExperimentSpec.from_registry_row(
        {
            "experiment_id": "exp_x",
            "planned_split": "a:50|b:50",
            "primary_metric": "conversion",
            "guardrail_metrics": "bounce| aov",
            "min_units_per_variant": 100.0,
            "control_variant": float("nan"),
        }
    )
    assert spec.control_variant == "a" and spec.guardrail_metrics == ("bounce", "aov")
    assert spec.min_units_per_variant == 100 and spec.alpha == 0.05
    assert parse_list(None) == () and parse_list(["x", "y"]) == ("x", "y") and parse_list("") == ()


def test_metric_specs():
    specs = metric_specs_from_records(
        [{"metric": "bounce", "kind": "proportion", "higher_is_better": "false"}, {"metric": "ctr", "kind": "ratio"}]
    )
    assert specs == [MetricSpec("bounce", "proportion", False), MetricSpec("ctr", "ratio", True)]
    with pytest.raises(ValueError):
        MetricSpec("x", "median")
