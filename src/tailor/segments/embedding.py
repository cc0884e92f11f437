"""Behavioural taste embedding: TruncatedSVD of the row-normalised person x category weight matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD


@dataclass(frozen=True)
class CategoryEmbedding:
    """Fitted SVD basis over a fixed category vocabulary, so later runs project into the same space."""

    categories: tuple[str, ...]
    components: np.ndarray  # (n_components, n_categories)
    mean: np.ndarray  # per component, over the fit persons
    scale: np.ndarray  # per component standard deviation (1.0 where flat)

    @property
    def feature_names(self) -> list[str]:
        return [f"taste_svd_{i + 1}" for i in range(self.components.shape[0])]


def category_matrix(
    interactions: pd.DataFrame | None, person_ids: pd.Series, categories: tuple[str, ...]
) -> sparse.csr_matrix:
    """L2 row-normalised person x category weights aligned to `person_ids` (unknown ids/categories drop)."""
    n_rows, n_cols = len(person_ids), len(categories)
    if interactions is None or interactions.empty or n_cols == 0:
        return sparse.csr_matrix((n_rows, n_cols))
    row_of = pd.Series(np.arange(n_rows), index=pd.Index(person_ids.astype(str)))
    col_of = pd.Series(np.arange(n_cols), index=pd.Index(categories))
    frame = interactions[["person_id", "category", "weight"]].dropna(subset=["person_id", "category"])
    rows = row_of.reindex(frame["person_id"].astype(str)).to_numpy()
    cols = col_of.reindex(frame["category"].astype(str)).to_numpy()
    weights = pd.to_numeric(frame["weight"], errors="coerce").fillna(0.0).clip(lower=0.0).to_numpy()
    keep = ~(np.isnan(rows) | np.isnan(cols)) & (weights > 0)
    matrix = sparse.csr_matrix(
        (weights[keep], (rows[keep].astype(np.int64), cols[keep].astype(np.int64))), shape=(n_rows, n_cols)
    )
    matrix.sum_duplicates()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def fit_category_embedding(
    interactions: pd.DataFrame | None, person_ids: pd.Series, n_components: int, random_state: int
) -> CategoryEmbedding | None:
    """Fit the taste basis on the fit persons; None when there is too little category signal to embed."""
    if interactions is None or interactions.empty or n_components < 1:
        return None
    categories = tuple(sorted(interactions["category"].dropna().astype(str).unique()))
    n_components = min(n_components, len(categories) - 1, len(person_ids) - 1)
    if n_components < 1:
        return None
    matrix = category_matrix(interactions, person_ids, categories)
    if matrix.nnz == 0:
        return None
    svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=7, random_state=random_state)
    scores = svd.fit_transform(matrix)
    scale = scores.std(axis=0)
    scale[scale < 1e-12] = 1.0
    return CategoryEmbedding(categories, svd.components_.copy(), scores.mean(axis=0), scale)


def embed_categories(
    embedding: CategoryEmbedding, interactions: pd.DataFrame | None, person_ids: pd.Series
) -> np.ndarray:
    """Standardised taste scores per person (persons without interactions land on the zero-taste point)."""
    matrix = category_matrix(interactions, person_ids, embedding.categories)
    scores = np.asarray(matrix @ embedding.components.T)
    return (scores - embedding.mean) / embedding.scale
