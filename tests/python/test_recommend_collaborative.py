"""Collaborative filtering: determinism, fold-in of users without retraining, similar items."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from tailor.recommend.collaborative import (
    CFParams,
    fit_cf,
    recalculate_user,
    recalculate_users,
    recommend_cf,
    similar_items,
    user_items_on_model_axis,
)
from tailor.recommend.data import InteractionMatrix, confidence_matrix

PARAMS = CFParams(factors=16, regularization=5.0, alpha=5.0, iterations=15, random_state=3)


def test_same_seed_gives_identical_factors_on_any_thread_count(matrix: InteractionMatrix) -> None:
    first = fit_cf(matrix, PARAMS)
    again = fit_cf(matrix, PARAMS)
    one_thread = fit_cf(matrix, CFParams(**{**PARAMS.__dict__, "num_threads": 1}))
    for other in (again, one_thread):
        np.testing.assert_array_equal(first.user_factors, other.user_factors)
        np.testing.assert_array_equal(first.item_factors, other.item_factors)
    reseeded = fit_cf(matrix, CFParams(**{**PARAMS.__dict__, "random_state": 4}))
    assert not np.array_equal(first.item_factors, reseeded.item_factors)


def test_bpr_is_selectable_and_deterministic(matrix: InteractionMatrix) -> None:
    params = CFParams(algorithm="bpr", factors=8, iterations=20, random_state=1)
    first, again = fit_cf(matrix, params), fit_cf(matrix, params)
    np.testing.assert_array_equal(first.item_factors, again.item_factors)
    assert recommend_cf(first, 5).groupby("user_id").size().eq(5).all()


def test_factor_rows_follow_id_axes(matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, PARAMS)
    assert model.user_factors.shape == (len(model.user_ids), PARAMS.factors)
    assert model.item_factors.shape == (len(model.item_ids), PARAMS.factors)
    assert list(model.user_ids) == sorted(model.user_ids)


def test_recalculated_users_are_close_to_trained_factors(matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, CFParams(**{**PARAMS.__dict__, "iterations": 40}))
    user_items = user_items_on_model_axis(model, matrix)
    rows = np.flatnonzero(np.isin(matrix.user_ids, model.user_ids))
    folded = recalculate_users(model, user_items[rows])
    trained = model.user_factors
    cosine = (folded * trained).sum(axis=1) / np.linalg.norm(folded, axis=1) / np.linalg.norm(trained, axis=1)
    assert cosine.min() > 0.99
    relative = np.linalg.norm(folded - trained, axis=1) / np.linalg.norm(trained, axis=1)
    assert np.median(relative) < 0.05


def test_recalculate_users_matches_implicit_least_squares(matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, PARAMS)
    user_items = user_items_on_model_axis(model, matrix)[:50]
    with threadpool_limits(1, "blas"):
        reference = AlternatingLeastSquares(factors=PARAMS.factors, regularization=PARAMS.regularization)
        reference.user_factors, reference.item_factors = model.user_factors.copy(), model.item_factors.copy()
        expected = reference.recalculate_user(np.arange(50), confidence_matrix(user_items, PARAMS.alpha))
    np.testing.assert_allclose(recalculate_users(model, user_items), expected, rtol=1e-3, atol=1e-4)


def test_recalculate_user_from_item_ids_ignores_unknown_items(matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, PARAMS)
    items = list(model.item_ids[:3])
    row = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), ([0, 0, 0], [0, 1, 2])), shape=(1, len(model.item_ids)))
    np.testing.assert_allclose(
        recalculate_user(model, [*items, "not-in-model"], [1.0, 2.0, 3.0, 9.0]), recalculate_users(model, row)[0]
    )
    assert not np.any(recalculate_user(model, ["not-in-model"], [1.0]))


def test_similar_items_exclude_self_and_share_category(planted, matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, PARAMS)
    similar = similar_items(model, 5)
    assert (similar["item_id"] != similar["similar_item_id"]).all()
    assert similar.groupby("item_id").size().eq(5).all()
    assert similar["score"].between(-1.0 - 1e-6, 1.0 + 1e-6).all()
    category = planted.catalog.set_index("item_id")["category"]
    same = category.reindex(similar["item_id"]).to_numpy() == category.reindex(similar["similar_item_id"]).to_numpy()
    assert same.mean() > 0.8


def test_recommend_cf_excludes_training_items(matrix: InteractionMatrix) -> None:
    model = fit_cf(matrix, PARAMS)
    liked = user_items_on_model_axis(model, matrix)[np.flatnonzero(np.isin(matrix.user_ids, model.user_ids))]
    recs = recommend_cf(model, 10, exclude=liked)
    user_pos = {user: row for row, user in enumerate(model.user_ids)}
    item_pos = {item: col for col, item in enumerate(model.item_ids)}
    seen = liked.toarray() > 0
    assert not any(seen[user_pos[u], item_pos[i]] for u, i in zip(recs["user_id"], recs["item_id"], strict=True))
