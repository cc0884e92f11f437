"""Collaborative filtering on implicit feedback with the `implicit` library (ALS by default, BPR optional).

The fitted model is a plain dataclass of factor matrices and id axes, so scoring, similar-item lists and
fold-in of new users are numpy code that never needs the library object again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking

from tailor.frames import take_strings
from tailor.recommend.data import InteractionMatrix, confidence_matrix, index_of
from tailor.recommend.threads import one_blas_thread
from tailor.recommend.topk import DEFAULT_BLOCK_SIZE, blocked_top_k


@dataclass(frozen=True)
class CFParams:
    """Collaborative-filtering hyperparameters; confidence C = 1 + alpha * w (or log-scaled w)."""

    # factors, regularization, alpha: the winners of the grid search on the sample data (docs/recommendations.md)
    algorithm: Literal["als", "bpr"] = "als"
    factors: int = 32
    regularization: float = 20.0
    iterations: int = 15
    alpha: float = 1.0
    confidence: Literal["linear", "log"] = "linear"
    epsilon: float = 1.0
    learning_rate: float = 0.01
    random_state: int = 42
    num_threads: int = 0
    # where the ALS factors are fitted: `implicit` in this process, or Spark MLlib (tailor.recommend.spark_als)
    fit_engine: Literal["implicit", "spark_als"] = "implicit"


@dataclass(frozen=True)
class CFModel:
    """Fitted latent factors (float32) with the id axes their rows follow."""

    user_factors: np.ndarray
    item_factors: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray
    params: CFParams


def _implicit_model(params: CFParams) -> object:
    # the CPU classes directly: the factory would pick a GPU when present and change results
    if params.algorithm == "als":
        # alpha is applied in confidence_matrix, so the library must not scale again
        return AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=1.0,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=params.num_threads,
        )
    if params.algorithm == "bpr":
        # Hogwild SGD is only reproducible on one thread
        return BayesianPersonalizedRanking(
            factors=params.factors,
            learning_rate=params.learning_rate,
            regularization=params.regularization,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=1,
        )
    raise ValueError(f"unknown algorithm {params.algorithm!r}; expected 'als' or 'bpr'")


def fit_cf(interactions: InteractionMatrix, params: CFParams | None = None) -> CFModel:
    """Fit user and item factors on users x items weights; deterministic for a fixed random_state.

    Users and items without any positive weight are dropped from the axes: their factors would be zero
    and they are better served by content and popularity. `params.fit_engine` picks `implicit` (here) or
    Spark MLlib (tailor.recommend.spark_als) on the same confidence weights.
    """
    params = params or CFParams()
    weights = interactions.matrix.tocsr()
    user_rows = np.flatnonzero(np.diff(weights.indptr) > 0)
    item_cols = np.flatnonzero(np.bincount(weights.indices, minlength=weights.shape[1]) > 0)
    trimmed = weights[user_rows][:, item_cols].tocsr()
    if not trimmed.nnz:
        width = params.factors + (1 if params.algorithm == "bpr" else 0)
        user_factors = item_factors = np.zeros((0, width), np.float32)
    elif params.fit_engine == "spark_als":
        from tailor.recommend.spark_als import fit_spark_als, ratings_frame

        user_factors, item_factors = fit_spark_als(ratings_frame(trimmed, params), *trimmed.shape, params)
    else:
        confidence = confidence_matrix(trimmed, params.alpha, params.confidence, params.epsilon)
        with one_blas_thread():
            model = _implicit_model(params)
            model.fit(confidence, show_progress=False)
            user_factors, item_factors = model.user_factors, model.item_factors
    return CFModel(
        user_factors=np.ascontiguousarray(user_factors, dtype=np.float32),
        item_factors=np.ascontiguousarray(item_factors, dtype=np.float32),
        user_ids=interactions.user_ids[user_rows],
        item_ids=interactions.item_ids[item_cols],
        params=params,
    )


def regularized_gram(model: CFModel) -> np.ndarray:
    """YtY + reg I of the model's item factors (float64): the part of every fold-in solve that does not
    depend on the user, so a caller folding in one user per request computes it once."""
    item_factors = model.item_factors.astype(np.float64)
    with one_blas_thread():
        return item_factors.T @ item_factors + model.params.regularization * np.eye(item_factors.shape[1])


def recalculate_users(model: CFModel, user_items: sp.csr_matrix, gram: np.ndarray | None = None) -> np.ndarray:
    """Fold new or changed users into the model without retraining: one exact ALS least-squares step.

    `user_items` holds raw weights on the model's item axis (one row per user). Solves
    (YtY + Yt(Cu - I)Y + reg I) x = Yt Cu p per user, the step ALS itself takes; meant for the users
    that changed since the last fit (a full refit is cheaper for everyone). For BPR it approximates.
    `gram`: `regularized_gram(model)` when the caller keeps it (computed here otherwise).
    """
    params = model.params
    user_items = sp.csr_matrix(user_items, dtype=np.float32)
    user_items.data[user_items.data < 0] = 0.0
    user_items.eliminate_zeros()
    confidence = confidence_matrix(user_items, params.alpha, params.confidence, params.epsilon)
    gram = regularized_gram(model) if gram is None else gram
    n_factors = gram.shape[0]
    result = np.zeros((user_items.shape[0], n_factors), dtype=np.float32)
    with one_blas_thread():
        for row in np.flatnonzero(np.diff(confidence.indptr) > 0):
            span = slice(confidence.indptr[row], confidence.indptr[row + 1])
            factors = model.item_factors[confidence.indices[span]].astype(np.float64)
            conf = confidence.data[span].astype(np.float64)
            lhs = gram + (factors.T * (conf - 1.0)) @ factors
            result[row] = np.linalg.solve(lhs, factors.T @ conf)
    return result


def recalculate_user(model: CFModel, item_ids: Sequence[str], weights: Sequence[float]) -> np.ndarray:
    """Factor vector for one user from a few (item_id, weight) interactions; unknown items are ignored."""
    cols = index_of(model.item_ids, pd.Series(list(item_ids), dtype=object))
    values = np.asarray(weights, dtype=np.float32)
    keep = cols >= 0
    row = sp.csr_matrix(
        (values[keep], (np.zeros(int(keep.sum()), dtype=np.int64), cols[keep])),
        shape=(1, len(model.item_ids)),
    )
    row.sum_duplicates()
    return recalculate_users(model, row)[0]


def user_items_on_model_axis(model: CFModel, interactions: InteractionMatrix) -> sp.csr_matrix:
    """Re-index a users x items matrix onto the model's item columns (unknown items dropped)."""
    cols = index_of(model.item_ids, pd.Series(interactions.item_ids, dtype=object))
    coo = interactions.matrix.tocoo()
    keep = cols[coo.col] >= 0
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], cols[coo.col[keep]])),
        shape=(interactions.shape[0], len(model.item_ids)),
    )


def recommend_cf(
    model: CFModel,
    k: int = 20,
    *,
    exclude: sp.csr_matrix | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> pd.DataFrame:
    """Top-k items for every model user by factor dot product: user_id, rank, item_id, score.

    `exclude` is users x items on the model axes (e.g. the training matrix to drop already-seen items).
    """
    indices, scores = blocked_top_k(model.user_factors, model.item_factors, k, exclude=exclude, block_size=block_size)
    return _ranked_frame(model.user_ids, model.item_ids, indices, scores, "user_id", "item_id")


def similar_items(model: CFModel, k: int = 10, *, block_size: int = DEFAULT_BLOCK_SIZE) -> pd.DataFrame:
    """Top-k most similar other items per item by cosine of item factors: item_id, rank, similar_item_id, score."""
    norms = np.linalg.norm(model.item_factors, axis=1, keepdims=True)
    unit = model.item_factors / np.where(norms > 0, norms, 1.0)
    n_items = unit.shape[0]
    itself = sp.identity(n_items, dtype=bool, format="csr")
    indices, scores = blocked_top_k(unit, unit, k, exclude=itself, block_size=block_size)
    return _ranked_frame(model.item_ids, model.item_ids, indices, scores, "item_id", "similar_item_id")


def _ranked_frame(
    row_ids: np.ndarray,
    col_ids: np.ndarray,
    indices: np.ndarray,
    scores: np.ndarray,
    row_name: str,
    col_name: str,
) -> pd.DataFrame:
    valid = np.isfinite(scores)
    rows, ranks = np.nonzero(valid)
    return pd.DataFrame(
        {
            row_name: take_strings(row_ids, rows),
            "rank": (ranks + 1).astype(np.int32),
            col_name: take_strings(col_ids, indices[valid]),
            "score": scores[valid].astype(np.float64),
        }
    )
