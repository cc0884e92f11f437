"""Quality gates, the ARI helper and fallback assignment rules."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from tailor.segments import (
    FALLBACK_LOW_CONFIDENCE,
    FALLBACK_NEW,
    adjusted_rand,
    check_max_share,
    check_min_share,
    check_unique_names,
    fallback_segments,
    quality_checks,
)
from tailor.segments.synthetic import PERSONA_CONFIG


def test_min_share_flags_tiny_segments() -> None:
    assert check_min_share({"seg_01": 60, "seg_02": 39, "seg_03": 1}, 0.02) == check_min_share(
        pd.Series({"seg_01": 60, "seg_02": 39, "seg_03": 1}), 0.02
    )
    failed = check_min_share({"seg_01": 60, "seg_02": 39, "seg_03": 1}, 0.02)
    assert not failed.passed and "seg_03 1.00%" in failed.message
    assert check_min_share({"seg_01": 50, "seg_02": 50}, 0.02).passed


def test_max_share_flags_a_giant_segment() -> None:
    failed = check_max_share({"seg_01": 70, "seg_02": 30}, 0.6)
    assert not failed.passed and "seg_01 holds 70.0%" in failed.message
    assert check_max_share({"seg_01": 60, "seg_02": 40}, 0.6).passed


def test_unique_names() -> None:
    assert check_unique_names(["A", "B"]).passed
    failed = check_unique_names(["A", "B", "A"])
    assert not failed.passed and failed.message == "duplicate names: A"


def test_quality_checks_ignore_fallbacks_for_shares() -> None:
    segments = pd.DataFrame(
        {
            "segment_id": ["seg_01", "seg_02", FALLBACK_NEW],
            "segment_name": ["A", "B", "Too new to segment"],
            "is_fallback": [False, False, True],
            "size": [50, 50, 900],
        }
    )
    assert all(check.passed for check in quality_checks(segments, PERSONA_CONFIG))


def test_adjusted_rand_ignores_label_names() -> None:
    assert adjusted_rand(["a", "a", "b", "b"], ["seg_02", "seg_02", "seg_01", "seg_01"]) == 1.0
    assert adjusted_rand(["a", "a", "b", "b"], ["x", "y", "x", "y"]) < 0.0


def test_fallback_rules_and_their_order() -> None:
    profiles = pd.DataFrame(
        {
            "person_id": ["new", "idle", "low", "both", "ok", "unknown_tenure", "imputed_sessions"],
            "days_since_first_seen": [3, 400, 400, 2, 400, None, 400],
            "sessions_90d": [5, 0, 5, 5, 5, 5, 9],
            "sessions_90d_is_imputed": [False, False, False, False, False, False, True],
            "frequency_orders": [0, 0, 2, 0, 1, None, None],
            "is_low_confidence": [False, False, True, True, None, False, False],
        }
    )
    segments = fallback_segments(profiles, replace(PERSONA_CONFIG, min_tenure_days=7, min_activity=1)).tolist()
    assert segments == [
        FALLBACK_NEW,
        FALLBACK_NEW,  # no sessions and no orders: nothing to cluster on
        FALLBACK_LOW_CONFIDENCE,
        FALLBACK_NEW,  # new wins over low confidence
        pd.NA,
        pd.NA,
        FALLBACK_NEW,  # an imputed session count is not observed activity
    ]


def test_fallbacks_without_activity_columns_use_tenure_only() -> None:
    profiles = pd.DataFrame({"person_id": ["a", "b"], "days_since_first_seen": [1, 100]})
    assert fallback_segments(profiles).tolist() == [FALLBACK_NEW, pd.NA]
