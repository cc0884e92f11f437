"""Profile confidence: how much a profile can be trusted, from how well the person is identified, how much
they did and how much of their demographics were observed. A documented, monotone formula in 0..1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ConfidenceWeights:
    """Weights of the three components; they sum to 1 so the score stays in 0..1."""

    identity: float = 0.4
    activity: float = 0.4
    demographics: float = 0.2

    def __post_init__(self) -> None:
        if min(self.identity, self.activity, self.demographics) < 0:
            raise ValueError("confidence weights must be non-negative")
        if not np.isclose(self.identity + self.activity + self.demographics, 1.0):
            raise ValueError("confidence weights must sum to 1")


def _as_float(values: npt.ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype="float64")
    return np.where(np.isnan(array), 0.0, array)


def identity_strength(has_user_id: npt.ArrayLike, has_email: npt.ArrayLike) -> np.ndarray:
    """0, 0.5 or 1: half for a login (user_id), half for an email; anonymous devices alone give 0."""
    return 0.5 * _as_float(has_user_id) + 0.5 * _as_float(has_email)


def activity_volume(activity_count: npt.ArrayLike, saturation: float = 20.0) -> np.ndarray:
    """log(1 + count) / log(1 + saturation), capped at 1: the first sessions and orders add the most."""
    if saturation <= 0:
        raise ValueError("saturation must be positive")
    counts = np.clip(_as_float(activity_count), 0.0, None)
    return np.minimum(1.0, np.log1p(counts) / np.log1p(saturation))


def demographics_share(observed_count: npt.ArrayLike, total: int = 3) -> np.ndarray:
    """Share of the demographic attributes that were observed (imputed ones do not count)."""
    if total <= 0:
        raise ValueError("total must be positive")
    return np.clip(_as_float(observed_count) / total, 0.0, 1.0)


def profile_confidence(
    has_user_id: npt.ArrayLike,
    has_email: npt.ArrayLike,
    activity_count: npt.ArrayLike,
    demographics_observed: npt.ArrayLike,
    demographics_total: int = 3,
    activity_saturation: float = 20.0,
    weights: ConfidenceWeights | None = None,
) -> np.ndarray:
    """Weighted sum of identity strength, activity volume and demographics share, rounded to 4 places."""
    w = weights or ConfidenceWeights()
    score = (
        w.identity * identity_strength(has_user_id, has_email)
        + w.activity * activity_volume(activity_count, activity_saturation)
        + w.demographics * demographics_share(demographics_observed, demographics_total)
    )
    return np.round(np.clip(score, 0.0, 1.0), 4)
