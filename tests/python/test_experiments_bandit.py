"""Thompson-sampling probability-best and traffic allocation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from tailor.experiments import apply_allocation_floor, probability_best, thompson_allocation


def _exact_prob_b_beats_a(s_a: int, n_a: int, s_b: int, n_b: int) -> float:
    a, b = stats.beta(1 + s_a, 1 + n_a - s_a), stats.beta(1 + s_b, 1 + n_b - s_b)
    return integrate.quad(lambda x: b.pdf(x) * a.cdf(x), 0, 1, limit=200)[0]


def test_probability_best_matches_exact_two_arm_integral():
    prob = probability_best([100, 120], [1000, 1000], seed=7)
    assert prob.sum() == pytest.approx(1.0)
    assert prob[1] == pytest.approx(_exact_prob_b_beats_a(100, 1000, 120, 1000), abs=0.005)  # ~0.92


def test_probability_best_is_deterministic_given_seed():
    a = probability_best([5, 7, 6], [50, 50, 50], seed=3)
    assert np.array_equal(a, probability_best([5, 7, 6], [50, 50, 50], seed=3))
    assert not np.array_equal(a, probability_best([5, 7, 6], [50, 50, 50], seed=4))


def test_identical_arms_split_evenly_and_clear_winner_takes_all():
    assert probability_best([50, 50], [500, 500]) == pytest.approx([0.5, 0.5], abs=0.01)
    assert probability_best([1000, 100], [10000, 10000]) == pytest.approx([1.0, 0.0])


def test_probability_best_rejects_bad_counts():
    with pytest.raises(ValueError):
        probability_best([11], [10])
    with pytest.raises(ValueError):
        probability_best([1, 2], [10])


def test_allocation_floor_water_fills():
    assert apply_allocation_floor([1.0, 0.0, 0.0], 0.05) == pytest.approx([0.9, 0.05, 0.05])
    # one arm under the floor: the other two share 0.95 in their 0.7 : 0.27 proportion
    alloc = apply_allocation_floor([0.7, 0.27, 0.03], 0.05)
    assert alloc == pytest.approx([0.95 * 0.7 / 0.97, 0.95 * 0.27 / 0.97, 0.05])
    assert apply_allocation_floor([0.6, 0.4], 0.0) == pytest.approx([0.6, 0.4])
    with pytest.raises(ValueError):
        apply_allocation_floor([0.5, 0.3, 0.2], 0.4)


def test_thompson_allocation_frame():
    frame = thompson_allocation(["control", "a", "b"], [100, 130, 90], [1000, 1000, 1000], floor=0.05, seed=1)
    assert list(frame.columns) == ["variant", "successes", "trials", "rate", "prob_best", "allocation"]
    assert frame["allocation"].sum() == pytest.approx(1.0)
    assert (frame["allocation"] >= 0.05 - 1e-12).all()
    assert frame.loc[frame["allocation"].idxmax(), "variant"] == "a"
    assert frame["rate"].tolist() == pytest.approx([0.1, 0.13, 0.09])
