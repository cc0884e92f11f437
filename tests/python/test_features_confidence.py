"""Unit tests for the profile confidence formula."""

from __future__ import annotations

import numpy as np
import pytest

from tailor.features.confidence import (
    ConfidenceWeights,
    activity_volume,
    demographics_share,
    identity_strength,
    profile_confidence,
)


def test_components() -> None:
    assert identity_strength([0, 1, 1], [0, 0, 1]).tolist() == [0.0, 0.5, 1.0]
    volume = activity_volume([0, 1, 20, 500], saturation=20)
    assert volume[0] == 0.0 and volume[2] == 1.0 and volume[3] == 1.0
    assert 0 < volume[1] < volume[2]
    assert demographics_share([0, 3, 5], total=3).tolist() == [0.0, 1.0, 1.0]


def test_profile_confidence_bounds_and_monotonicity() -> None:
    empty = profile_confidence([0], [0], [0], [0])
    full = profile_confidence([1], [1], [1000], [3])
    mid = profile_confidence([1], [0], [3], [1])
    assert empty[0] == 0.0 and full[0] == 1.0
    assert 0.0 < mid[0] < 1.0
    assert profile_confidence([1], [1], [3], [1])[0] > mid[0]


def test_missing_inputs_count_as_absent() -> None:
    assert profile_confidence([np.nan], [1], [np.nan], [np.nan])[0] == pytest.approx(0.2)


def test_weights_validated() -> None:
    with pytest.raises(ValueError):
        ConfidenceWeights(identity=0.5, activity=0.5, demographics=0.5)
    custom = ConfidenceWeights(identity=1.0, activity=0.0, demographics=0.0)
    assert profile_confidence([1], [0], [50], [3], weights=custom)[0] == 0.5
