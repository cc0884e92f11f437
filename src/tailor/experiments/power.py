"""Power analysis: minimum detectable effect at the current sample and sample size for a target effect.

Two-sided test at `alpha`; normal approximation, which is what the readout's tests use at these sizes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from tailor.experiments.stats import Number, _scalar


def _z_total(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def mde_from_std_error(std_error: npt.ArrayLike, alpha: float = 0.05, power: float = 0.8) -> Number:
    """Smallest absolute effect detectable with `power` given the standard error of the difference."""
    return _scalar(_z_total(alpha, power) * np.asarray(std_error, dtype=float))


def mde_proportion(
    baseline_rate: npt.ArrayLike,
    n_treatment: npt.ArrayLike,
    n_control: npt.ArrayLike,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Number:
    """Absolute MDE for a conversion rate, using the baseline (control) variance for both arms."""
    p = np.asarray(baseline_rate, dtype=float)
    n_t, n_c = np.asarray(n_treatment, dtype=float), np.asarray(n_control, dtype=float)
    return mde_from_std_error(np.sqrt(p * (1 - p) * (1 / n_t + 1 / n_c)), alpha, power)


def mde_mean(
    std: npt.ArrayLike,
    n_treatment: npt.ArrayLike,
    n_control: npt.ArrayLike,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Number:
    """Absolute MDE for a mean metric with unit-level standard deviation `std` in both arms."""
    s = np.asarray(std, dtype=float)
    n_t, n_c = np.asarray(n_treatment, dtype=float), np.asarray(n_control, dtype=float)
    return mde_from_std_error(s * np.sqrt(1 / n_t + 1 / n_c), alpha, power)


def _ceil_int(value: np.ndarray) -> int | np.ndarray:
    out = np.ceil(value - 1e-9)  # guard against 1570.0000000002 becoming 1571
    return int(out) if np.ndim(out) == 0 else out.astype(int)


def sample_size_proportion(
    baseline_rate: npt.ArrayLike, relative_effect: npt.ArrayLike, alpha: float = 0.05, power: float = 0.8
) -> int | np.ndarray:
    """Units needed per variant to detect a relative change in a conversion rate (equal split)."""
    p1 = np.asarray(baseline_rate, dtype=float)
    p2 = p1 * (1 + np.asarray(relative_effect, dtype=float))
    n = _z_total(alpha, power) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2
    return _ceil_int(n)


def sample_size_mean(
    mean: npt.ArrayLike,
    std: npt.ArrayLike,
    relative_effect: npt.ArrayLike,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int | np.ndarray:
    """Units needed per variant to detect a relative change in a mean with unit-level std `std`."""
    delta = np.asarray(mean, dtype=float) * np.asarray(relative_effect, dtype=float)
    n = 2 * _z_total(alpha, power) ** 2 * np.asarray(std, dtype=float) ** 2 / delta**2
    return _ceil_int(n)


def sample_size_from_mde(
    mde_relative: npt.ArrayLike,
    n_treatment: npt.ArrayLike,
    n_control: npt.ArrayLike,
    target_relative_effect: npt.ArrayLike,
) -> np.ndarray:
    """Units per variant (equal split) to detect `target_relative_effect` at the power an MDE was computed for.

    The MDE scales with sqrt(1/n_t + 1/n_c), so n = 2 (mde / target)^2 / (1/n_t + 1/n_c); any variance
    reduction (CUPED) behind the MDE carries over. NaN where the MDE is (e.g. control rows).
    """
    mde = np.asarray(mde_relative, dtype=float)
    n_t, n_c = np.asarray(n_treatment, dtype=float), np.asarray(n_control, dtype=float)
    target = np.abs(np.asarray(target_relative_effect, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        n = 2 * (mde / target) ** 2 / (1 / n_t + 1 / n_c)
    return np.ceil(n - 1e-9)
