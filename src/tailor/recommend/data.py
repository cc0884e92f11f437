"""Interaction frames to sparse matrices on stable, sorted id axes, plus per-user exclusion masks.

Every model in the package shares these axes, so a row or column index means the same person or item
everywhere and results never depend on input row order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

# What the recommenders read of an interaction table (callers may load only these columns).
INTERACTION_COLUMNS: tuple[str, ...] = (
    "person_id",
    "item_id",
    "weight",
    "last_interaction_at",
    "has_purchased",
    "last_purchased_at",
)


@dataclass(frozen=True)
class InteractionMatrix:
    """Users x items matrix of summed positive interaction weights with its id axes."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


def id_axis(values: Iterable[object]) -> np.ndarray:
    """Sorted unique string ids (object dtype), the canonical axis order."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    unique = series.dropna().astype(str).unique()
    return np.sort(np.asarray(unique, dtype=object))


def index_of(axis: np.ndarray, values: Iterable[object]) -> np.ndarray:
    """Position of each value on `axis` (-1 where absent or null); values are compared as strings."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if not pd.api.types.is_string_dtype(series):
        series = series.astype(object).where(series.isna(), series.astype(str))
    # arrow's hash lookup is several times faster than pandas' get_indexer on large string columns
    needles = pa.array(series, from_pandas=True)
    if not pa.types.is_large_string(needles.type):
        needles = needles.cast(pa.large_string())
    haystack = pa.array(np.asarray(axis, dtype=object), type=pa.large_string(), from_pandas=True)
    positions = pc.index_in(needles, value_set=haystack).fill_null(-1)
    return positions.to_numpy(zero_copy_only=False).astype(np.int64)


def build_interaction_matrix(
    interactions: pd.DataFrame,
    user_ids: np.ndarray | None = None,
    item_ids: np.ndarray | None = None,
) -> InteractionMatrix:
    """Sum `weight` per (person_id, item_id) onto the given axes and keep only positive totals.

    Weights are summed before filtering so a refund (negative weight) cancels the purchase it reverses;
    pairs whose total is <= 0 carry no preference and are dropped. Default axes are the ids that have at
    least one positive row.
    """
    frame = interactions.loc[interactions["weight"].notna(), ["person_id", "item_id", "weight"]]
    positive = frame.loc[frame["weight"] > 0]
    users = id_axis(positive["person_id"]) if user_ids is None else np.asarray(user_ids, dtype=object)
    items = id_axis(positive["item_id"]) if item_ids is None else np.asarray(item_ids, dtype=object)
    rows = index_of(users, frame["person_id"])
    cols = index_of(items, frame["item_id"])
    keep = (rows >= 0) & (cols >= 0)
    weights = frame["weight"].to_numpy(dtype=np.float64)[keep]
    summed = sp.coo_matrix((weights, (rows[keep], cols[keep])), shape=(len(users), len(items))).tocsr()
    summed.sum_duplicates()
    summed.data[summed.data <= 0] = 0.0
    summed.eliminate_zeros()
    summed.sort_indices()
    return InteractionMatrix(summed.astype(np.float32), users, items)


def reindex_users(interactions: InteractionMatrix, user_ids: np.ndarray) -> InteractionMatrix:
    """The same weights on another user axis: rows for users missing from `interactions` are empty."""
    source_rows = index_of(interactions.user_ids, pd.Series(user_ids, dtype=object))
    present = np.flatnonzero(source_rows >= 0)
    selector = sp.csr_matrix(
        (np.ones(present.size, dtype=np.float32), (present, source_rows[present])),
        shape=(len(user_ids), interactions.shape[0]),
    )
    matrix = (selector @ interactions.matrix).tocsr()
    matrix.sort_indices()
    return InteractionMatrix(matrix, np.asarray(user_ids, dtype=object), interactions.item_ids)


def confidence_matrix(
    weights: sp.csr_matrix, alpha: float, scaling: str = "linear", epsilon: float = 1.0
) -> sp.csr_matrix:
    """Implicit-feedback confidence C = 1 + alpha * w ('linear') or 1 + alpha * log(1 + w / epsilon) ('log')."""
    if scaling not in ("linear", "log"):
        raise ValueError(f"unknown confidence scaling {scaling!r}; expected 'linear' or 'log'")
    scaled = weights.astype(np.float32, copy=True)
    if scaling == "linear":
        scaled.data = 1.0 + alpha * scaled.data
    else:
        scaled.data = 1.0 + alpha * np.log1p(scaled.data / epsilon)
    return scaled


def _utc(values: pd.Series | pd.Timestamp | str) -> pd.Series | pd.Timestamp:
    return pd.to_datetime(values, utc=True)


def resolve_as_of(interactions: pd.DataFrame, as_of: object | None = None) -> pd.Timestamp:
    """The scoring "now": the given value, else the latest interaction time (never the wall clock)."""
    if as_of is not None:
        return _utc(as_of)
    times = _utc(interactions["last_interaction_at"]) if len(interactions) else pd.Series([], dtype=object)
    latest = times.max() if len(times) else pd.NaT
    return latest if pd.notna(latest) else pd.Timestamp(0, tz="UTC")


def exclusion_matrix(
    interactions: pd.DataFrame,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    *,
    as_of: pd.Timestamp,
    purchase_window_days: float | None = None,
    exclude_seen: bool = False,
) -> sp.csr_matrix:
    """Boolean users x items matrix of pairs never to recommend.

    Purchased items are excluded when purchased within `purchase_window_days` before `as_of` (None: any
    purchase ever); `exclude_seen` also excludes every item with a positive interaction.
    """
    frame = interactions
    flagged = frame["has_purchased"].fillna(False).astype(bool).to_numpy(copy=True)
    if purchase_window_days is not None and "last_purchased_at" in frame:
        bought_at = _utc(frame["last_purchased_at"])
        start = as_of - pd.Timedelta(days=float(purchase_window_days))
        flagged &= (bought_at >= start).fillna(False).to_numpy(dtype=bool)
    if exclude_seen:
        flagged |= (frame["weight"] > 0).fillna(False).to_numpy(dtype=bool)
    frame = frame.loc[flagged]
    rows = index_of(user_ids, frame["person_id"])
    cols = index_of(item_ids, frame["item_id"])
    keep = (rows >= 0) & (cols >= 0)
    ones = np.ones(int(keep.sum()), dtype=bool)
    excluded = sp.coo_matrix((ones, (rows[keep], cols[keep])), shape=(len(user_ids), len(item_ids))).tocsr()
    excluded.sum_duplicates()
    return excluded
