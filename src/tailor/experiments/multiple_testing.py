"""Multiple-comparison corrections for segment breakdowns: Holm (FWER) and Benjamini-Hochberg (FDR).

NaN p-values (e.g. control rows) are left NaN and do not count towards the number of tests.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _valid(p_values: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p_values must be one-dimensional")
    return p, ~np.isnan(p)


def holm_adjust(p_values: npt.ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values: running max of (m - k + 1) * p_(k), capped at 1."""
    p, ok = _valid(p_values)
    out = np.full(p.shape, np.nan)
    vals = p[ok]
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals, kind="stable")
    scaled = (m - np.arange(m)) * vals[order]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out[ok] = adjusted
    return out


def benjamini_hochberg_adjust(p_values: npt.ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values: running min from the top of m / k * p_(k), capped at 1."""
    p, ok = _valid(p_values)
    out = np.full(p.shape, np.nan)
    vals = p[ok]
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals, kind="stable")
    scaled = m / np.arange(1, m + 1) * vals[order]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out[ok] = adjusted
    return out
