"""CUPED: remove the part of a metric explained by a pre-period covariate to shrink variance.

theta is estimated once over all units pooled across variants (the covariate is measured before
assignment, so pooling does not bias the treatment effect) and the adjustment keeps each arm's mean
comparable: Y_adj = Y - theta * (X - mean(X)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tailor.experiments.stats import Number, _scalar


@dataclass(frozen=True)
class CupedResult:
    """Adjusted values, the theta used and the variance reduction achieved (1 - var(Y_adj) / var(Y))."""

    adjusted: np.ndarray
    theta: Number
    variance_reduction: Number


def cuped_theta(y: npt.ArrayLike, x: npt.ArrayLike, axis: int = -1) -> Number:
    """cov(Y, X) / var(X) along `axis`; NaN when the covariate is constant."""
    y_arr = np.asarray(y, dtype=float)
    x_arr = np.asarray(x, dtype=float)
    x_c = x_arr - x_arr.mean(axis=axis, keepdims=True)
    y_c = y_arr - y_arr.mean(axis=axis, keepdims=True)
    var_x = (x_c**2).sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = (x_c * y_c).sum(axis=axis) / var_x
    return _scalar(np.where(var_x > 0, theta, np.nan))


def cuped_adjust(y: npt.ArrayLike, x: npt.ArrayLike, axis: int = -1) -> CupedResult:
    """Adjust `y` with covariate `x` (all variants pooled along `axis`); unadjusted when theta is NaN."""
    y_arr = np.asarray(y, dtype=float)
    x_arr = np.asarray(x, dtype=float)
    theta = cuped_theta(y_arr, x_arr, axis=axis)
    theta_b = np.expand_dims(np.nan_to_num(np.asarray(theta, dtype=float)), axis)
    adjusted = y_arr - theta_b * (x_arr - x_arr.mean(axis=axis, keepdims=True))
    var_y = y_arr.var(axis=axis, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = 1 - adjusted.var(axis=axis, ddof=1) / var_y
    reduction = np.where(np.isnan(np.asarray(theta, dtype=float)), np.nan, reduction)
    return CupedResult(adjusted=adjusted, theta=theta, variance_reduction=_scalar(reduction))
