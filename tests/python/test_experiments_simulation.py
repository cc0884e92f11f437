"""Simulation checks of the experiment statistics: false-positive rate, CI coverage, SRM alarms, CUPED, power.

Each simulation draws thousands of experiments at once as arrays (fixed seeds), so the whole file runs in
seconds. Tolerances are about four binomial standard errors around the nominal rate.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tailor.experiments import (
    cuped_adjust,
    mde_mean,
    mean_moments,
    ratio_delta_test,
    ratio_moments,
    srm_check,
    two_proportion_test,
    welch_test,
)

N_SIMS = 2000
N_PER_ARM = 2000
ALPHA = 0.05


def _lognormal_arms(rng: np.random.Generator, scale_t: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Skewed revenue-like unit values, shape (N_SIMS, N_PER_ARM) per arm; treatment multiplied by scale_t."""
    control = rng.lognormal(mean=3.0, sigma=1.0, size=(N_SIMS, N_PER_ARM))
    treatment = scale_t * rng.lognormal(mean=3.0, sigma=1.0, size=(N_SIMS, N_PER_ARM))
    return treatment, control


def _ctr_arm(rng: np.random.Generator, lift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit clicks and impressions; each unit has its own CTR (users differ), so clicks cluster by unit.

    CTR = lift * 0.4 * U^3 has mean 0.1 * lift and intra-unit correlation ~0.14; impressions are 1..19.
    """
    impressions = 1 + rng.integers(0, 19, size=(N_SIMS, N_PER_ARM))
    ctr = lift * 0.4 * rng.random(size=(N_SIMS, N_PER_ARM)) ** 3
    return rng.binomial(impressions, ctr).astype(float), impressions.astype(float)


@pytest.fixture(scope="module")
def ctr_control() -> tuple[np.ndarray, np.ndarray]:
    """Control arm shared by the ratio simulations (generating unit-level arrays is the slow part)."""
    return _ctr_arm(np.random.default_rng(103))


def _ratio_results(control: tuple[np.ndarray, np.ndarray], seed: int, lift: float) -> tuple:
    clicks_t, imp_t = _ctr_arm(np.random.default_rng(seed), lift)
    clicks_c, imp_c = control
    _, r_t, v_t = ratio_moments(clicks_t, imp_t)
    _, r_c, v_c = ratio_moments(clicks_c, imp_c)
    naive = two_proportion_test(clicks_t.sum(1), imp_t.sum(1), clicks_c.sum(1), imp_c.sum(1), ALPHA)
    return ratio_delta_test(r_t, v_t, r_c, v_c, ALPHA), naive


def _covered(low: np.ndarray, high: np.ndarray, truth: float) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


def test_proportion_test_false_positive_rate():
    rng = np.random.default_rng(101)
    x = rng.binomial(N_PER_ARM, 0.1, size=(N_SIMS, 2))
    fpr = np.mean(two_proportion_test(x[:, 0], N_PER_ARM, x[:, 1], N_PER_ARM).p_value < ALPHA)
    assert 0.03 <= fpr <= 0.07


def test_welch_false_positive_rate():
    t, c = _lognormal_arms(np.random.default_rng(102))
    _, m_t, v_t = mean_moments(t)
    _, m_c, v_c = mean_moments(c)
    result = welch_test(m_t, v_t, N_PER_ARM, m_c, v_c, N_PER_ARM)
    fpr = np.mean(result.p_value < ALPHA)
    assert 0.03 <= fpr <= 0.07


def test_ratio_delta_false_positive_rate_and_naive_test_is_anticonservative(ctr_control):
    delta, naive = _ratio_results(ctr_control, 113, lift=1.0)
    assert 0.03 <= np.mean(delta.p_value < ALPHA) <= 0.07
    # Treating impressions as independent trials ignores per-unit clustering: too many false alarms.
    assert np.mean(naive.p_value < ALPHA) > 0.15


def test_proportion_ci_coverage():
    rng = np.random.default_rng(104)
    p_c, p_t = 0.10, 0.11
    x_t = rng.binomial(N_PER_ARM, p_t, size=N_SIMS)
    x_c = rng.binomial(N_PER_ARM, p_c, size=N_SIMS)
    r = two_proportion_test(x_t, N_PER_ARM, x_c, N_PER_ARM)
    assert 0.93 <= _covered(r.abs_lift_ci_low, r.abs_lift_ci_high, p_t - p_c) <= 0.97
    assert 0.93 <= _covered(r.rel_lift_ci_low, r.rel_lift_ci_high, p_t / p_c - 1) <= 0.97


def test_welch_ci_coverage():
    t, c = _lognormal_arms(np.random.default_rng(105), scale_t=1.05)
    true_mean = np.exp(3.0 + 0.5)
    _, m_t, v_t = mean_moments(t)
    _, m_c, v_c = mean_moments(c)
    r = welch_test(m_t, v_t, N_PER_ARM, m_c, v_c, N_PER_ARM)
    assert 0.93 <= _covered(r.abs_lift_ci_low, r.abs_lift_ci_high, 0.05 * true_mean) <= 0.97
    assert 0.93 <= _covered(r.rel_lift_ci_low, r.rel_lift_ci_high, 0.05) <= 0.97


def test_ratio_ci_coverage(ctr_control):
    delta, _ = _ratio_results(ctr_control, 106, lift=1.09)
    # CTR is independent of impressions, so the true ratio of sums is the mean per-unit CTR.
    true_t, true_c = 0.109, 0.1
    assert 0.93 <= _covered(delta.abs_lift_ci_low, delta.abs_lift_ci_high, true_t - true_c) <= 0.97
    assert 0.93 <= _covered(delta.rel_lift_ci_low, delta.rel_lift_ci_high, true_t / true_c - 1) <= 0.97


def test_srm_flags_60_40_split():
    check = srm_check({"control": 600, "treatment": 400}, {"control": 0.5, "treatment": 0.5})
    assert check.is_failed and check.p_value < 1e-9


def test_srm_false_alarm_rate_on_fair_split():
    planned = {"control": 0.5, "treatment": 0.5}
    n = 1000
    flagged = np.array([srm_check({"control": k, "treatment": n - k}, planned).is_failed for k in range(n + 1)])
    exact_rate = float(stats.binom.pmf(np.arange(n + 1), n, 0.5)[flagged].sum())
    draws = np.random.default_rng(107).binomial(n, 0.5, size=200_000)
    simulated_rate = float(flagged[draws].mean())
    assert exact_rate <= 0.001
    assert simulated_rate <= 0.0015


def _cuped_sim(seed: int, rho: float, effect: float) -> tuple:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size=(N_SIMS, 2 * N_PER_ARM))
    noise = rng.standard_normal(size=(N_SIMS, 2 * N_PER_ARM))
    y = 10 + 2 * (rho * x + np.sqrt(1 - rho**2) * noise)
    y[:, :N_PER_ARM] += effect  # first half is treatment
    cuped = cuped_adjust(y, x)
    adj = cuped.adjusted
    _, m_t, v_t = mean_moments(adj[:, :N_PER_ARM])
    _, m_c, v_c = mean_moments(adj[:, N_PER_ARM:])
    return cuped, welch_test(m_t, v_t, N_PER_ARM, m_c, v_c, N_PER_ARM)


def test_cuped_reduces_variance_and_keeps_coverage():
    effect = 0.2
    cuped, r = _cuped_sim(108, rho=0.7, effect=effect)
    reduction = float(np.mean(cuped.variance_reduction))
    assert 0.46 <= reduction <= 0.52  # rho**2 = 0.49
    assert 0.93 <= _covered(r.abs_lift_ci_low, r.abs_lift_ci_high, effect) <= 0.97
    assert 0.93 <= _covered(r.rel_lift_ci_low, r.rel_lift_ci_high, effect / 10) <= 0.97


def test_cuped_false_positive_rate():
    _, r = _cuped_sim(109, rho=0.7, effect=0.0)
    assert 0.03 <= np.mean(r.p_value < ALPHA) <= 0.07


def test_power_at_mde_is_nominal():
    rng = np.random.default_rng(110)
    sd = 3.0
    effect = float(mde_mean(sd, N_PER_ARM, N_PER_ARM, alpha=ALPHA, power=0.8))
    t = rng.normal(effect, sd, size=(N_SIMS, N_PER_ARM))
    c = rng.normal(0.0, sd, size=(N_SIMS, N_PER_ARM))
    _, m_t, v_t = mean_moments(t)
    _, m_c, v_c = mean_moments(c)
    power = np.mean(welch_test(m_t, v_t, N_PER_ARM, m_c, v_c, N_PER_ARM).p_value < ALPHA)
    assert power == pytest.approx(0.8, abs=0.035)
