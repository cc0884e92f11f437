"""Popularity baselines, global and per segment: the last tiers of the fallback chain."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

PopularityMetric = Literal["users", "weight"]


def item_popularity(matrix: sp.csr_matrix, metric: PopularityMetric = "users") -> np.ndarray:
    """Per-item popularity over users x items weights: distinct users ('users') or summed weight ('weight')."""
    if metric == "users":
        return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
    if metric == "weight":
        return np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
    raise ValueError(f"unknown popularity metric {metric!r}; expected 'users' or 'weight'")


def segment_popularity(
    matrix: sp.csr_matrix, user_segment: np.ndarray, n_segments: int, metric: PopularityMetric = "users"
) -> np.ndarray:
    """Segments x items popularity; `user_segment` gives each matrix row's segment index (-1: none)."""
    member = np.flatnonzero(user_segment >= 0)
    membership = sp.csr_matrix(
        (np.ones(member.size, dtype=np.float64), (user_segment[member], member)),
        shape=(n_segments, matrix.shape[0]),
    )
    values = matrix.astype(np.float64)
    if metric == "users":
        values = values.copy()
        values.data[:] = 1.0
    elif metric != "weight":
        raise ValueError(f"unknown popularity metric {metric!r}; expected 'users' or 'weight'")
    return np.asarray((membership @ values).todense())


def normalized_popularity(popularity: np.ndarray) -> np.ndarray:
    """Popularity divided by the row maximum, in [0, 1] (all-zero rows stay zero)."""
    popularity = np.atleast_2d(popularity).astype(np.float64)
    top = popularity.max(axis=1, keepdims=True) if popularity.shape[1] else np.ones((len(popularity), 1))
    return np.divide(popularity, top, out=np.zeros_like(popularity), where=top > 0)


def rank_keys(popularity: np.ndarray, *, require_positive: bool) -> np.ndarray:
    """Strictly decreasing sort keys in [0, 1) per row: most popular first, ties by lower item index.

    Unique keys make top-k selection reproducible; with `require_positive`, never-seen items get -inf.
    """
    popularity = np.atleast_2d(popularity)
    n_rows, n_items = popularity.shape
    items = np.broadcast_to(np.arange(n_items), popularity.shape)
    order = np.lexsort((items, -popularity), axis=1)
    keys = np.empty(popularity.shape, dtype=np.float32)
    ranks = (1.0 - np.arange(1, n_items + 1) / (n_items + 1.0)).astype(np.float32)
    np.put_along_axis(keys, order, np.broadcast_to(ranks, (n_rows, n_items)), axis=1)
    if require_positive:
        keys[popularity <= 0] = -np.inf
    return keys
