"""Blocked top-k scoring equals brute force; interaction matrices and exclusions are built as specified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tailor.recommend.data import build_interaction_matrix, confidence_matrix, exclusion_matrix, id_axis
from tailor.recommend.topk import (
    MAX_BLOCK_BYTES,
    block_rows,
    blocked_top_k,
    brute_force_top_k,
    plan_chunk,
    top_k_rows,
    transposed,
)


@pytest.mark.parametrize(
    ("n_users", "n_items", "k", "block_size"),
    [(50, 40, 5, 7), (300, 501, 20, 64), (257, 2000, 10, 2048), (30, 8, 20, 4), (10, 1, 3, 1)],
)
def test_blocked_top_k_equals_brute_force(n_users: int, n_items: int, k: int, block_size: int) -> None:
    rng = np.random.default_rng(n_users * 1000 + n_items)
    users = rng.standard_normal((n_users, 8)).astype(np.float32)
    items = rng.standard_normal((n_items, 8)).astype(np.float32)
    exclude = sp.random(n_users, n_items, density=0.1, random_state=3, format="csr")
    item_mask = rng.random(n_items) > 0.1

    indices, scores = blocked_top_k(users, items, k, exclude=exclude, item_mask=item_mask, block_size=block_size)

    dense = users @ items.T
    dense[:, ~item_mask] = -np.inf
    expected_indices, expected_scores = brute_force_top_k(dense, min(k, n_items), exclude)
    assert indices.shape == scores.shape == (n_users, min(k, n_items))
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)
    eligible = np.isfinite(expected_scores)
    np.testing.assert_array_equal(indices[eligible], expected_indices[eligible])
    excluded_pairs = set(zip(*exclude.nonzero(), strict=True))
    chosen = {
        (u, int(i)) for u, row in enumerate(indices) for i, s in zip(row, scores[u], strict=True) if np.isfinite(s)
    }
    assert not chosen & excluded_pairs
    assert not {i for _, i in chosen} & set(np.flatnonzero(~item_mask))


def test_top_k_rows_chunked_path_on_wide_rows_with_ties() -> None:
    rng = np.random.default_rng(1)
    chunk, width = plan_chunk(5000, 10)
    assert width % chunk == 0 and width >= 5000 and chunk > 1
    scores = np.full((4, width), -np.inf, dtype=np.float32)
    scores[:, :5000] = rng.integers(0, 50, size=(4, 5000)).astype(np.float32)  # many ties
    cols, values = top_k_rows(scores, 10, chunk)
    _, expected = brute_force_top_k(scores, 10)
    np.testing.assert_array_equal(values, expected)
    assert np.all(np.diff(values, axis=1) <= 0)
    assert np.array_equal(np.take_along_axis(scores, cols, axis=1), values)


def test_block_rows_bounds_block_memory() -> None:
    assert block_rows(10**6, 50_000, 2048) * 50_000 * 4 <= MAX_BLOCK_BYTES
    assert block_rows(10, 100, 2048) == 10


def interactions_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["p2", "p1", "p1", "p1", "p3", "p2"],
            "item_id": ["b", "a", "a", "c", "a", "c"],
            "weight": [1.0, 2.0, 3.0, 4.0, 0.0, -1.0],
            "last_interaction_at": pd.to_datetime(
                ["2024-01-09", "2024-01-01", "2024-01-02", "2024-01-10", "2024-01-05", "2024-01-06"], utc=True
            ),
            "has_purchased": [True, True, False, True, False, False],
            "last_purchased_at": pd.to_datetime(["2024-01-09", "2024-01-01", None, "2024-01-10", None, None], utc=True),
        }
    )


def test_interaction_matrix_sums_duplicates_and_drops_non_positive() -> None:
    built = build_interaction_matrix(interactions_frame())
    assert list(built.user_ids) == ["p1", "p2"]  # p3 only has a zero weight
    assert list(built.item_ids) == ["a", "b", "c"]
    np.testing.assert_allclose(built.matrix.toarray(), [[5.0, 0.0, 4.0], [0.0, 1.0, 0.0]])
    # a refund cancelling the positive weight removes the pair entirely
    refund = pd.DataFrame({"person_id": ["p1", "p1"], "item_id": ["a", "a"], "weight": [5.0, -5.0]})
    assert build_interaction_matrix(refund, user_ids=id_axis(["p1"]), item_ids=id_axis(["a"])).matrix.nnz == 0


def test_interaction_matrix_ignores_row_order() -> None:
    frame = interactions_frame()
    shuffled = frame.sample(frac=1.0, random_state=4)
    a, b = build_interaction_matrix(frame), build_interaction_matrix(shuffled)
    assert (a.matrix != b.matrix).nnz == 0 and list(a.user_ids) == list(b.user_ids)


def test_confidence_scalings() -> None:
    weights = sp.csr_matrix(np.array([[1.0, 0.0, 3.0]], dtype=np.float32))
    np.testing.assert_allclose(confidence_matrix(weights, 2.0).toarray(), [[3.0, 0.0, 7.0]])
    np.testing.assert_allclose(
        confidence_matrix(weights, 2.0, "log", epsilon=0.5).toarray(),
        [[1 + 2 * np.log(3.0), 0.0, 1 + 2 * np.log(7.0)]],
        rtol=1e-6,
    )
    with pytest.raises(ValueError):
        confidence_matrix(weights, 1.0, "sqrt")


def test_exclusion_matrix_purchase_window_and_seen() -> None:
    frame = interactions_frame()
    users, items = id_axis(["p1", "p2", "p3"]), id_axis(["a", "b", "c"])
    as_of = pd.Timestamp("2024-01-10", tz="UTC")
    ever = exclusion_matrix(frame, users, items, as_of=as_of).toarray()
    assert ever.tolist() == [[True, False, True], [False, True, False], [False, False, False]]
    recent = exclusion_matrix(frame, users, items, as_of=as_of, purchase_window_days=3).toarray()
    assert recent.tolist() == [[False, False, True], [False, True, False], [False, False, False]]
    seen = exclusion_matrix(frame, users, items, as_of=as_of, purchase_window_days=3, exclude_seen=True).toarray()
    assert seen.tolist() == [[True, False, True], [False, True, False], [False, False, False]]


@pytest.mark.parametrize("shape", [(5000, 300), (37, 5), (1, 1), (0, 4), (4, 0), (70_000, 3)])
def test_tiled_transpose_equals_numpy(shape: tuple[int, int]) -> None:
    matrix = np.random.default_rng(3).random(shape, dtype=np.float32)
    result = transposed(matrix)
    assert result.flags.c_contiguous and result.dtype == matrix.dtype
    np.testing.assert_array_equal(result, matrix.T)
