"""Treatment-vs-control comparisons: absolute and relative lift with confidence intervals and p-values.

Every function is vectorised: pass scalars for one comparison, or equally shaped arrays (for example
thousands of simulated experiments) and get arrays back. Variances are unit-level sample variances
(ddof=1) unless the name says the variance is of an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

Number = float | np.ndarray


@dataclass(frozen=True)
class LiftResult:
    """One comparison of a treatment arm with control; each field is a float or an array of them."""

    treatment_value: Number
    control_value: Number
    abs_lift: Number
    abs_lift_ci_low: Number
    abs_lift_ci_high: Number
    rel_lift: Number
    rel_lift_ci_low: Number
    rel_lift_ci_high: Number
    p_value: Number
    std_error: Number


def _scalar(value: np.ndarray | float) -> Number:
    """Unwrap 0-d arrays so scalar inputs give numpy scalars, not 0-d arrays."""
    arr = np.asarray(value, dtype=float)
    return arr[()] if arr.ndim == 0 else arr


def mean_moments(values: npt.ArrayLike, axis: int = -1) -> tuple[Number, Number, Number]:
    """Unit count, mean and unit-level sample variance (ddof=1) of one arm along `axis`."""
    arr = np.asarray(values, dtype=float)
    n = arr.shape[axis]
    mean = arr.mean(axis=axis)
    var = arr.var(axis=axis, ddof=1) if n > 1 else np.full(np.shape(mean), np.nan)
    return float(n), _scalar(mean), _scalar(var)


def ratio_moments(
    numerator: npt.ArrayLike, denominator: npt.ArrayLike, axis: int = -1
) -> tuple[Number, Number, Number]:
    """Unit count, ratio of sums and delta-method variance of that ratio for one arm.

    The unit (not the impression) is the randomisation unit, so per-unit numerators and denominators are
    correlated; the delta method accounts for it: Var(ybar/xbar) ~ (s_y^2 - 2R s_xy + R^2 s_x^2) / (n xbar^2).
    """
    y = np.asarray(numerator, dtype=float)
    x = np.asarray(denominator, dtype=float)
    n = y.shape[axis]
    if n < 2:
        nan = np.full(np.shape(y.sum(axis=axis)), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(n), _scalar(y.sum(axis=axis) / x.sum(axis=axis)), _scalar(nan)
    y_mean = y.mean(axis=axis, keepdims=True)
    x_mean = x.mean(axis=axis, keepdims=True)
    cov = ((y - y_mean) * (x - x_mean)).sum(axis=axis) / (n - 1)
    var_y = y.var(axis=axis, ddof=1)
    var_x = x.var(axis=axis, ddof=1)
    y_mean, x_mean = y_mean.squeeze(axis), x_mean.squeeze(axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y_mean / x_mean
        ratio_var = (var_y - 2 * ratio * cov + ratio**2 * var_x) / (n * x_mean**2)
    return float(n), _scalar(ratio), _scalar(np.maximum(ratio_var, 0.0))


def _lift(
    est_t: npt.ArrayLike,
    var_t: npt.ArrayLike,
    est_c: npt.ArrayLike,
    var_c: npt.ArrayLike,
    p_value: npt.ArrayLike,
    quantile: npt.ArrayLike,
) -> LiftResult:
    """Build lifts and CIs from two independent estimates and the variances of those estimates.

    The relative-lift CI uses the delta method on log(est_t / est_c), which keeps the interval inside
    (-100%, inf) and covers better than a symmetric interval; it falls back to the delta method on the
    ratio itself when either estimate is not positive.
    """
    est_t, var_t, est_c, var_c = (np.asarray(a, dtype=float) for a in (est_t, var_t, est_c, var_c))
    q = np.asarray(quantile, dtype=float)
    diff = est_t - est_c
    se = np.sqrt(var_t + var_c)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a huge log-ratio bound is +inf
        ratio = np.where(est_c != 0, est_t / est_c, np.nan)  # relative lift on a zero baseline is undefined
        log_se = np.sqrt(var_t / est_t**2 + var_c / est_c**2)
        positive = (est_t > 0) & (est_c > 0)
        log_ratio = np.log(np.where(positive, ratio, 1.0))
        log_low = np.exp(log_ratio - q * log_se) - 1
        log_high = np.exp(log_ratio + q * log_se) - 1
        lin_se = np.sqrt(var_t / est_c**2 + est_t**2 * var_c / est_c**4)
        rel_low = np.where(positive, log_low, ratio - 1 - q * lin_se)
        rel_high = np.where(positive, log_high, ratio - 1 + q * lin_se)
    return LiftResult(
        treatment_value=_scalar(est_t),
        control_value=_scalar(est_c),
        abs_lift=_scalar(diff),
        abs_lift_ci_low=_scalar(diff - q * se),
        abs_lift_ci_high=_scalar(diff + q * se),
        rel_lift=_scalar(ratio - 1),
        rel_lift_ci_low=_scalar(rel_low),
        rel_lift_ci_high=_scalar(rel_high),
        p_value=_scalar(p_value),
        std_error=_scalar(se),
    )


def two_proportion_test(
    successes_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    successes_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftResult:
    """Two-proportion z-test (pooled variance under H0) with unpooled Wald CIs for the lifts.

    Equivalent to the uncorrected 2x2 chi-square test: z**2 is the chi-square statistic.
    """
    x_t, n_t, x_c, n_c = (np.asarray(a, dtype=float) for a in (successes_t, n_t, successes_c, n_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_t, p_c = x_t / n_t, x_c / n_c
        pooled = (x_t + x_c) / (n_t + n_c)
        se_null = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
        z = (p_t - p_c) / se_null
    p_value = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(1 - alpha / 2)
    return _lift(p_t, p_t * (1 - p_t) / n_t, p_c, p_c * (1 - p_c) / n_c, p_value, q)


def welch_test(
    mean_t: npt.ArrayLike,
    var_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    mean_c: npt.ArrayLike,
    var_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftResult:
    """Welch's unequal-variance t-test; CIs use the t quantile at the Welch-Satterthwaite df."""
    m_t, s_t, n_t, m_c, s_c, n_c = (np.asarray(a, dtype=float) for a in (mean_t, var_t, n_t, mean_c, var_c, n_c))
    v_t, v_c = s_t / n_t, s_c / n_c
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (v_t + v_c) ** 2 / (v_t**2 / (n_t - 1) + v_c**2 / (n_c - 1))
        t_stat = (m_t - m_c) / np.sqrt(v_t + v_c)
    p_value = 2 * stats.t.sf(np.abs(t_stat), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    return _lift(m_t, v_t, m_c, v_c, p_value, q)


def ratio_delta_test(
    ratio_t: npt.ArrayLike,
    ratio_var_t: npt.ArrayLike,
    ratio_c: npt.ArrayLike,
    ratio_var_c: npt.ArrayLike,
    alpha: float = 0.05,
) -> LiftResult:
    """z-test for a ratio metric (e.g. clicks / impressions) from delta-method variances of each arm's ratio.

    Take `ratio_*` and `ratio_var_*` from `ratio_moments`.
    """
    r_t, v_t, r_c, v_c = (np.asarray(a, dtype=float) for a in (ratio_t, ratio_var_t, ratio_c, ratio_var_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (r_t - r_c) / np.sqrt(v_t + v_c)
    p_value = 2 * stats.norm.sf(np.abs(z))
    return _lift(r_t, v_t, r_c, v_c, p_value, stats.norm.ppf(1 - alpha / 2))
