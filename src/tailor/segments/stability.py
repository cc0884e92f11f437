"""Stability across retraining: carry segment ids over by centroid matching, and measure drift.

Matching is a Hungarian assignment (scipy `linear_sum_assignment`) on the RMS distance between centroids
expressed in original units and standardised with ONE shared scale (the current population's std), so
both runs are compared in the same space whatever the prepared matrix looked like. A pair further apart
than `max_match_distance` (in population standard deviations) is not a match: the cluster gets a new id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

SEGMENT_ID_PATTERN = re.compile(r"^seg_(\d+)$")


def previous_centroids(previous_segments: pd.DataFrame) -> pd.DataFrame:
    """Original-unit segment means from a previous segment table's centroid JSON (clusters only)."""
    clusters = previous_segments[~previous_segments["is_fallback"].astype("boolean").fillna(False)]
    rows = {}
    for segment_id, summary in zip(clusters["segment_id"], clusters["centroid_json"], strict=True):
        parsed = json.loads(summary) if isinstance(summary, str) else dict(summary)
        rows[str(segment_id)] = {
            name: (np.nan if stats.get("mean") is None else float(stats["mean"]))
            for name, stats in parsed.items()
        }
    return pd.DataFrame.from_dict(rows, orient="index", dtype="float64")


def centroid_distances(current: pd.DataFrame, previous: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
    """RMS distance in shared standard-deviation units over features both runs know (rows: current)."""
    shared = [name for name in current.columns if name in previous.columns and scale.get(name, 0) > 1e-12]
    if not shared:
        return pd.DataFrame(np.inf, index=current.index, columns=previous.index)
    a = (current[shared] / scale[shared]).to_numpy(dtype=float)
    b = (previous[shared] / scale[shared]).to_numpy(dtype=float)
    squared = (a[:, None, :] - b[None, :, :]) ** 2
    counts = (~np.isnan(squared)).sum(axis=2)
    with np.errstate(invalid="ignore"):
        rms = np.sqrt(np.nansum(squared, axis=2) / np.maximum(counts, 1))
    rms[counts == 0] = np.inf
    return pd.DataFrame(rms, index=current.index, columns=previous.index)


def match_segments(
    current: pd.DataFrame, previous: pd.DataFrame, scale: pd.Series, max_distance: float
) -> dict[int, str]:
    """Map current cluster labels to previous segment ids (one-to-one, minimum total distance)."""
    if current.empty or previous.empty:
        return {}
    distances = centroid_distances(current, previous, scale)
    cost = distances.to_numpy().copy()
    cost[~np.isfinite(cost)] = 1e9
    rows, cols = linear_sum_assignment(cost)
    return {
        int(distances.index[r]): str(distances.columns[c])
        for r, c in zip(rows, cols, strict=True)
        if distances.iat[r, c] <= max_distance
    }


def new_segment_ids(count: int, existing: Iterable[str]) -> list[str]:
    """`count` fresh ids seg_NN numbered after the highest id in `existing`, so no known id is reused."""
    numbers = [int(m.group(1)) for m in (SEGMENT_ID_PATTERN.match(str(i)) for i in existing) if m]
    start = max(numbers, default=0) + 1
    return [f"seg_{number:02d}" for number in range(start, start + count)]


def population_stability_index(
    previous: Mapping[str, float] | pd.Series, current: Mapping[str, float] | pd.Series, epsilon: float = 1e-4
) -> float:
    """PSI = sum (cur - prev) * ln(cur / prev) over the union of categories, shares floored at `epsilon`.

    Inputs are counts or shares per category; < 0.1 is usually read as stable, > 0.25 as a real shift.
    """
    prev_share, cur_share = _aligned_shares(previous, current, epsilon)
    return float(((cur_share - prev_share) * np.log(cur_share / prev_share)).sum())


def _aligned_shares(
    previous: Mapping[str, float] | pd.Series, current: Mapping[str, float] | pd.Series, epsilon: float
) -> tuple[pd.Series, pd.Series]:
    prev = pd.Series(previous, dtype="float64")
    cur = pd.Series(current, dtype="float64")
    keys = sorted(set(prev.index) | set(cur.index), key=str)
    prev = prev.reindex(keys).fillna(0.0)
    cur = cur.reindex(keys).fillna(0.0)
    prev_share = (prev / prev.sum() if prev.sum() > 0 else prev).clip(lower=epsilon)
    cur_share = (cur / cur.sum() if cur.sum() > 0 else cur).clip(lower=epsilon)
    return prev_share, cur_share


DRIFT_COLUMNS = [
    "segment_id",
    "segment_name",
    "drift_status",
    "previous_size",
    "current_size",
    "size_change",
    "previous_share",
    "current_share",
    "share_change",
    "psi_contribution",
    "psi_total",
]


def drift_table(
    current_segments: pd.DataFrame, previous_segments: pd.DataFrame | None, epsilon: float = 1e-4
) -> pd.DataFrame:
    """Per segment (current and retired): sizes, shares, changes and PSI contribution; psi_total repeats.

    drift_status: 'kept' (in both runs), 'new', 'retired', or 'first_run' when there is no previous table.
    """
    current = current_segments.set_index("segment_id")
    names = current["segment_name"].to_dict()
    cur_size = current["size"].astype("int64")
    if previous_segments is None or previous_segments.empty:
        frame = pd.DataFrame({"segment_id": cur_size.index, "current_size": cur_size.to_numpy()})
        frame["segment_name"] = frame["segment_id"].map(names)
        frame["drift_status"] = "first_run"
        frame["current_share"] = frame["current_size"] / max(int(cur_size.sum()), 1)
        for column in ("previous_size", "size_change", "previous_share", "share_change"):
            frame[column] = pd.NA
        frame["psi_contribution"] = np.nan
        frame["psi_total"] = np.nan
        return frame[DRIFT_COLUMNS]
    previous = previous_segments.set_index("segment_id")
    prev_size = previous["size"].astype("int64")
    for segment_id, name in previous["segment_name"].items():
        names.setdefault(segment_id, name)
    keys = list(cur_size.index) + [key for key in prev_size.index if key not in cur_size.index]
    prev_share, cur_share = _aligned_shares(prev_size, cur_size, epsilon)
    contribution = (cur_share - prev_share) * np.log(cur_share / prev_share)
    prev_counts = prev_size.reindex(keys).fillna(0).astype("int64")
    cur_counts = cur_size.reindex(keys).fillna(0).astype("int64")
    prev_frac = prev_counts / max(int(prev_counts.sum()), 1)
    cur_frac = cur_counts / max(int(cur_counts.sum()), 1)
    frame = pd.DataFrame(
        {
            "segment_id": keys,
            "segment_name": [names[key] for key in keys],
            "drift_status": [
                "kept"
                if key in cur_size.index and key in prev_size.index
                else "new"
                if key in cur_size.index
                else "retired"
                for key in keys
            ],
            "previous_size": prev_counts.to_numpy(),
            "current_size": cur_counts.to_numpy(),
            "size_change": (cur_counts - prev_counts).to_numpy(),
            "previous_share": prev_frac.to_numpy(),
            "current_share": cur_frac.to_numpy(),
            "share_change": (cur_frac - prev_frac).to_numpy(),
            "psi_contribution": contribution.reindex(keys).to_numpy(),
        }
    )
    frame["psi_total"] = float(contribution.sum())
    return frame[DRIFT_COLUMNS]
