"""Hand-computed checks of the treatment-vs-control tests, CUPED, power and multiple-testing corrections."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tailor.experiments import (
    benjamini_hochberg_adjust,
    cuped_adjust,
    cuped_theta,
    holm_adjust,
    mde_from_std_error,
    mde_mean,
    mde_proportion,
    mean_moments,
    ratio_delta_test,
    ratio_moments,
    sample_size_mean,
    sample_size_proportion,
    two_proportion_test,
    welch_test,
)


def test_two_proportion_z_test_120_vs_100_of_1000():
    r = two_proportion_test(120, 1000, 100, 1000)
    # pooled p = 0.11, se0 = sqrt(0.11 * 0.89 * 0.002) = 0.013993, z = 0.02 / se0 = 1.4293
    assert r.p_value == pytest.approx(0.15292, abs=1e-5)
    assert r.abs_lift == pytest.approx(0.02)
    # unpooled se = sqrt(0.12 * 0.88 / 1000 + 0.1 * 0.9 / 1000) = 0.0139857
    assert r.std_error == pytest.approx(0.0139857, abs=1e-7)
    assert (r.abs_lift_ci_low, r.abs_lift_ci_high) == pytest.approx((-0.0074115, 0.0474115), abs=1e-6)
    # log-ratio delta method: se = sqrt(1.056e-4 / 0.0144 + 9e-5 / 0.01) = 0.127802 around log(1.2)
    assert r.rel_lift == pytest.approx(0.2)
    assert (r.rel_lift_ci_low, r.rel_lift_ci_high) == pytest.approx((-0.065894, 0.541581), abs=1e-5)


def test_two_proportion_z_squared_equals_uncorrected_chi_square():
    table = np.array([[120, 880], [100, 900]])
    chi2_p = stats.chi2_contingency(table, correction=False)[1]
    assert two_proportion_test(120, 1000, 100, 1000).p_value == pytest.approx(chi2_p, rel=1e-10)


def test_two_proportion_is_vectorised():
    r = two_proportion_test(np.array([120, 100]), 1000, np.array([100, 100]), 1000)
    assert r.p_value.shape == (2,)
    assert r.p_value[1] == pytest.approx(1.0)
    assert r.p_value[0] == pytest.approx(two_proportion_test(120, 1000, 100, 1000).p_value)


def test_welch_small_sample_by_hand_and_against_scipy():
    t, c = np.array([1.0, 2, 3, 4, 5]), np.array([2.0, 4, 6])
    n_t, m_t, v_t = mean_moments(t)
    n_c, m_c, v_c = mean_moments(c)
    assert (n_t, m_t, v_t, n_c, m_c, v_c) == (5, 3, 2.5, 3, 4, 4)
    r = welch_test(m_t, v_t, n_t, m_c, v_c, n_c)
    # se = sqrt(2.5/5 + 4/3) = 1.354006; df = 1.83333^2 / (0.5^2/4 + 1.33333^2/2) = 3.53285
    assert r.std_error == pytest.approx(1.354006, abs=1e-6)
    q = stats.t.ppf(0.975, 3.53285)
    assert r.abs_lift_ci_low == pytest.approx(-1 - q * 1.354006, abs=1e-4)
    assert r.p_value == pytest.approx(stats.ttest_ind(t, c, equal_var=False).pvalue, rel=1e-9)


def test_ratio_moments_delta_method_by_hand():
    clicks, impressions = [1, 0, 2, 1], [2, 1, 4, 3]
    n, ratio, ratio_var = ratio_moments(clicks, impressions)
    # ybar 1, xbar 2.5, s_y^2 = 2/3, s_x^2 = 5/3, s_xy = 1: (2/3 - 0.8 + 0.16 * 5/3) / (4 * 6.25)
    assert (n, ratio) == (4, pytest.approx(0.4))
    assert ratio_var == pytest.approx(0.0053333, abs=1e-7)


def test_ratio_delta_test_by_hand():
    r = ratio_delta_test(0.12, 1e-4, 0.10, 1e-4)
    # z = 0.02 / sqrt(2e-4) = 1.41421
    assert r.p_value == pytest.approx(0.157299, abs=1e-6)
    assert r.abs_lift_ci_high == pytest.approx(0.02 + 1.959964 * 0.0141421, abs=1e-6)


def test_relative_lift_falls_back_to_linear_delta_for_non_positive_means():
    r = welch_test(1.0, 4.0, 100, -0.5, 4.0, 100)
    # ratio = -2; linear delta se = sqrt(0.04 / 0.25 + 1 * 0.04 / 0.0625) = 0.894427
    assert r.rel_lift == pytest.approx(-3.0)
    assert r.rel_lift_ci_high - r.rel_lift == pytest.approx(stats.t.ppf(0.975, 198) * 0.894427, abs=1e-5)


def test_zero_control_rate_gives_nan_relative_lift():
    r = two_proportion_test(3, 100, 0, 100)
    assert np.isnan(r.rel_lift) and np.isfinite(r.abs_lift)


def test_cuped_theta_and_adjustment_by_hand():
    y, x = np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 3, 5])
    # sum of cross deviations 6.5, sum of squared x deviations 8.75
    assert cuped_theta(y, x) == pytest.approx(6.5 / 8.75)
    res = cuped_adjust(y, x)
    assert res.adjusted == pytest.approx([2.3, 2.557143, 2.814286, 2.328571], abs=1e-6)
    assert res.adjusted.mean() == pytest.approx(y.mean())
    # with the in-sample OLS theta the reduction is exactly corr(Y, X)^2 = 6.5^2 / (8.75 * 5)
    assert res.variance_reduction == pytest.approx(42.25 / 43.75)


def test_cuped_with_constant_covariate_is_a_no_op():
    res = cuped_adjust([1.0, 2, 3], [5.0, 5, 5])
    assert np.isnan(res.theta) and np.isnan(res.variance_reduction)
    assert res.adjusted == pytest.approx([1, 2, 3])


def test_cuped_is_vectorised_per_row():
    y = np.array([[1.0, 2, 3, 4], [4.0, 3, 2, 1]])
    x = np.array([[1.0, 2, 3, 5], [1.0, 2, 3, 5]])
    assert cuped_theta(y, x) == pytest.approx([6.5 / 8.75, -6.5 / 8.75])


def test_power_by_hand():
    z = 1.959964 + 0.841621
    assert mde_from_std_error(0.01) == pytest.approx(z * 0.01, abs=1e-6)
    assert mde_proportion(0.1, 1000, 1000) == pytest.approx(z * np.sqrt(0.09 * 0.002), abs=1e-6)  # 0.0375872
    assert mde_mean(5.0, 1000, 1000) == pytest.approx(z * 5 * np.sqrt(0.002), abs=1e-6)  # 0.626444
    # (z^2) * (0.1 * 0.9 + 0.11 * 0.89) / 0.01^2 = 14748.1
    assert sample_size_proportion(0.1, 0.1) == 14749
    # 2 * z^2 * 25 / 0.5^2 = 1569.78
    assert sample_size_mean(10.0, 5.0, 0.05) == 1570
    assert mde_mean(5.0, 1570, 1570) <= 0.5 < mde_mean(5.0, 1569, 1569)


def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> Holm 4p, 3p, 2p, 1p = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm_adjust(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH m/k p = 0.02, 0.02, 0.04, 0.04 -> running min from the top
    assert benjamini_hochberg_adjust(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_corrections_cap_at_one_and_skip_nan():
    p = [np.nan, 0.5, 0.6, np.nan]
    holm, bh = holm_adjust(p), benjamini_hochberg_adjust(p)
    assert np.isnan(holm[[0, 3]]).all() and np.isnan(bh[[0, 3]]).all()
    assert holm[[1, 2]] == pytest.approx([1.0, 1.0])
    assert bh[[1, 2]] == pytest.approx([0.6, 0.6])
    assert holm_adjust([]).size == 0


def test_bh_rejects_at_least_what_holm_rejects():
    p = np.random.default_rng(1).uniform(0, 0.05, size=30)
    assert (benjamini_hochberg_adjust(p) <= holm_adjust(p) + 1e-12).all()
