"""Explicit fallback segments for persons the clusters cannot describe well (they are not fitted either).

Order matters: a person who is both new and low-confidence is 'fallback_new', since being new is the
reason the profile is thin and the actionable fact (welcome journeys, not retention offers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailor.segments.config import FALLBACK_LOW_CONFIDENCE, FALLBACK_NEW, SegmentConfig
from tailor.segments.prepare import original_values

ACTIVITY_COLUMNS = ("sessions_90d", "frequency_orders")


def is_new(profiles: pd.DataFrame, config: SegmentConfig) -> np.ndarray:
    """Seen for fewer than `min_tenure_days`, or fewer than `min_activity` sessions + orders (unknown = 0)."""
    tenure = original_values(profiles, "days_since_first_seen")
    new = ~np.isnan(tenure) & (tenure < config.min_tenure_days)
    present = [column for column in ACTIVITY_COLUMNS if column in profiles.columns]
    if present:
        activity = sum(np.nan_to_num(original_values(profiles, column), nan=0.0) for column in present)
        new |= activity < config.min_activity
    return new


def is_low_confidence(profiles: pd.DataFrame) -> np.ndarray:
    """The profile mart's own `is_low_confidence` flag (absent or null: not low confidence)."""
    if "is_low_confidence" not in profiles.columns:
        return np.zeros(len(profiles), dtype=bool)
    return profiles["is_low_confidence"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def fallback_segments(profiles: pd.DataFrame, config: SegmentConfig | None = None) -> pd.Series:
    """Fallback segment id per person ('fallback_new', 'fallback_low_confidence') or <NA> to cluster."""
    config = config or SegmentConfig()
    new = is_new(profiles, config)
    low = is_low_confidence(profiles) & ~new
    out = pd.Series(pd.NA, index=profiles.index, dtype="string")
    out[new] = FALLBACK_NEW
    out[low] = FALLBACK_LOW_CONFIDENCE
    return out


def fallback_rule_text(segment_id: str, config: SegmentConfig) -> str:
    """The membership rule of a fallback segment, in the same style as the tree rules."""
    if segment_id == FALLBACK_NEW:
        return (
            f"days_since_first_seen < {config.min_tenure_days:g} or "
            f"sessions_90d + frequency_orders < {config.min_activity:g}"
        )
    return "is_low_confidence = true"
