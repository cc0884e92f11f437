"""Temporal holdout, the model comparison table, the planted-structure quality bar, tuning and bench."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.recommend.bench import bench_cf, holdout_split
from tailor.recommend.collaborative import CFParams
from tailor.recommend.evaluate import (
    MODELS,
    evaluate_holdout,
    fitted_popularity_shares,
    popularity_shares,
    temporal_split,
)
from tailor.recommend.hybrid import fit_recommender
from tailor.recommend.synthetic import planted_dataset, power_law_matrix
from tailor.recommend.tuning import grid_search

# suits the planted shop (few categories, ~1k persons); production defaults are tuned on generator data
PLANTED_CF = CFParams(factors=16, regularization=5.0, alpha=5.0, iterations=15)


@pytest.fixture(scope="module")
def planted():
    return planted_dataset(n_persons=1000, n_items=200, seed=0)


@pytest.fixture(scope="module")
def report(planted) -> pd.DataFrame:
    cutoff = planted.end_at - pd.Timedelta(days=10)
    return evaluate_holdout(
        planted.interactions, planted.catalog, planted.persons, cutoff, test_days=10, ks=(5, 10), cf_params=PLANTED_CF
    )


def test_temporal_split_by_time_and_relevance() -> None:
    at = pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-10", "2024-01-12", "2024-01-20"], utc=True)
    frame = pd.DataFrame(
        {
            "person_id": ["a", "a", "a", "b", "b"],
            "item_id": ["x", "y", "z", "x", "y"],
            "event_type": ["product_view", "product_view", "add_to_cart", "purchase", "purchase"],
            "weight": [1.0, 1.0, 3.0, -2.0, 5.0],
            "last_interaction_at": at,
            "has_purchased": [False, False, False, True, True],
        }
    )
    train, relevant = temporal_split(frame, "2024-01-10", 7)
    assert list(train["item_id"]) == ["x", "y"]
    assert relevant.values.tolist() == [["a", "z"]]  # b's refund is not positive, 2024-01-20 is past the window
    _, purchases = temporal_split(frame, "2024-01-10", 7, relevance="purchase")
    assert purchases.values.tolist() == [["b", "x"]]
    _, carts = temporal_split(frame, "2024-01-10", 30, relevance=["add_to_cart", "purchase"])
    assert carts.values.tolist() == [["a", "z"], ["b", "x"], ["b", "y"]]


def test_novelty_shares_from_the_fit_equal_shares_from_the_training_rows(planted) -> None:
    cutoff = planted.end_at - pd.Timedelta(days=10)
    train, _ = temporal_split(planted.interactions, cutoff, 10)
    # a refund that cancels a purchase and an item outside the catalog must count as before
    extra = train.head(2).assign(weight=[-1e9, 1.0], item_id=[train["item_id"].iloc[0], "NOT-IN-CATALOG"])
    train = pd.concat([train, extra], ignore_index=True)
    fitted = fit_recommender(train, planted.catalog, planted.persons, cf_params=PLANTED_CF, as_of=cutoff)
    pd.testing.assert_series_equal(fitted_popularity_shares(fitted), popularity_shares(train, fitted.item_ids))


def test_report_is_long_and_complete(report: pd.DataFrame) -> None:
    assert list(report.columns) == ["model", "slice_type", "slice_value", "metric", "k", "value", "n_users"]
    assert set(report["model"]) == set(MODELS)
    assert set(report["slice_type"]) == {"overall", "segment", "tier"}
    assert set(report["metric"]) == {"precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty"}
    assert set(report["k"]) == {5, 10}
    assert not report.duplicated(["model", "slice_type", "slice_value", "metric", "k"]).any()
    bounded = report.loc[report["metric"] != "novelty", "value"]
    assert bounded.between(0, 1).all() and (report.loc[report["metric"] == "novelty", "value"] > 0).all()
    overall = report.loc[report["slice_type"] == "overall"].groupby("model")["n_users"].max()
    per_tier = report.loc[(report["slice_type"] == "tier") & (report["metric"] == "ndcg") & (report["k"] == 10)]
    assert (per_tier.groupby("model")["n_users"].sum() == overall).all()
    assert {"hybrid", "global_popularity"} <= set(per_tier["slice_value"])


def test_hybrid_beats_global_popularity_on_planted_affinities(report: pd.DataFrame) -> None:
    ndcg = report.loc[
        (report["slice_type"] == "overall") & (report["metric"] == "ndcg") & (report["k"] == 10)
    ].set_index("model")["value"]
    assert ndcg["hybrid"] >= 1.2 * ndcg["global_popularity"]
    assert ndcg["segment_popularity"] > ndcg["global_popularity"]
    coverage = report.loc[(report["slice_type"] == "overall") & (report["metric"] == "coverage")]
    assert (
        coverage.set_index(["model", "k"])["value"][("hybrid", 10)]
        > coverage.set_index(["model", "k"])["value"][("global_popularity", 10)]
    )


def test_grid_search_returns_one_row_per_point(planted) -> None:
    cutoff = planted.end_at - pd.Timedelta(days=10)
    train, relevant = temporal_split(planted.interactions, cutoff, 10)
    grid = {"factors": [8, 16], "regularization": [5.0], "alpha": [5.0], "cf_weight": [0.5, 1.0]}
    table = grid_search(train, relevant, planted.catalog, planted.persons, grid, cf_params=PLANTED_CF, as_of=cutoff)
    assert len(table) == 4
    assert {"factors", "regularization", "alpha", "cf_weight", "content_weight", "ndcg", "map", "coverage"} <= set(
        table.columns
    )
    assert table["ndcg"].is_monotonic_decreasing
    with pytest.raises(ValueError):
        grid_search(train, relevant, planted.catalog, planted.persons, {"learning_rat": [0.1]})


def test_power_law_matrix_shape_and_skew() -> None:
    matrix = power_law_matrix(2000, 300, 20_000, seed=1)
    assert matrix.shape == (2000, 300) and 19_000 <= matrix.nnz <= 20_000
    popularity = np.sort(np.bincount(matrix.indices, minlength=300))[::-1]
    assert popularity[:30].sum() > 2 * popularity[-150:].sum()  # top 10% of items vs bottom half
    train, test = holdout_split(matrix, 0.2, seed=1)
    assert train.nnz + test.nnz == matrix.nnz and 0.15 < test.nnz / matrix.nnz < 0.25


def test_bench_matches_implicit_batch_recommend() -> None:
    stages, summary = bench_cf(
        n_users=1500, n_items=200, nnz=15_000, params=CFParams(factors=8, iterations=5, random_state=0), k=10
    )
    assert list(stages["stage"]) == ["generate", "split", "fit", "score_all", "evaluate", "implicit_recommend"]
    assert (stages["seconds"] >= 0).all() and (stages["peak_rss_mib"] > 0).all()
    assert summary["implicit_same_scores"] == 1.0
    assert summary["implicit_identical_sets"] > 0.9  # only users tied at zero (no factors) may differ
    assert summary["ndcg@10"] == pytest.approx(summary["implicit_ndcg@10"], abs=1e-3)
