"""Per-person normalisation of a block of model scores (min-max or rank), in place."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def normalize_rows(block: np.ndarray, invalid_cols: np.ndarray, method: str) -> None:
    """In place: per-row min-max (or average rank) scaling to [0, 1] over valid columns; invalid -> -inf."""
    if block.shape[0] == 0:
        return
    if method == "rank":
        block[:, invalid_cols] = -np.inf
        n_valid = block.shape[1] - len(invalid_cols)
        ranks = rankdata(block, axis=1, method="average") - len(invalid_cols) - 1.0
        block[:] = ranks / max(n_valid - 1, 1)
    elif method == "minmax":
        block[:, invalid_cols] = np.inf
        low = block.min(axis=1, keepdims=True)
        block[:, invalid_cols] = -np.inf
        span = block.max(axis=1, keepdims=True) - low
        block -= low
        block /= np.where(span > 0, span, 1.0)
    else:
        raise ValueError(f"unknown normalization {method!r}; expected 'minmax' or 'rank'")
    block[:, invalid_cols] = -np.inf
