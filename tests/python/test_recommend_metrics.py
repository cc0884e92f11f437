"""Ranking metrics against hand-computed values, and the vectorised versions against the definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tailor.recommend.evaluate import (
    average_precision_at_k,
    catalog_coverage,
    hit_rate_at_k,
    ndcg_at_k,
    novelty,
    popularity_shares,
    precision_at_k,
    recall_at_k,
    user_metrics,
)


def recs_frame(lists: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(person, rank, item) for person, items in lists.items() for rank, item in enumerate(items, 1)]
    return pd.DataFrame(rows, columns=["person_id", "rank", "item_id"])


def relevant_frame(sets: dict[str, set[str]]) -> pd.DataFrame:
    rows = [(person, item) for person, items in sets.items() for item in sorted(items)]
    return pd.DataFrame(rows, columns=["person_id", "item_id"])


def test_precision_divides_by_k_even_with_fewer_recommendations() -> None:
    assert precision_at_k(["a", "b", "c", "d"], {"a", "c", "x"}, 4) == pytest.approx(2 / 4)
    assert precision_at_k(["a", "b", "c", "d"], {"a", "c", "x"}, 2) == pytest.approx(1 / 2)
    assert precision_at_k(["a"], {"a"}, 5) == pytest.approx(1 / 5)


def test_recall() -> None:
    assert recall_at_k(["a", "b", "c", "d"], {"a", "c", "x"}, 4) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b", "c", "d"], {"a", "c", "x"}, 1) == pytest.approx(1 / 3)
    assert recall_at_k(["a"], set(), 3) == 0.0


def test_ndcg_relevant_at_ranks_one_and_three() -> None:
    # hits at ranks 1 and 3, two relevant items: ideal puts them at ranks 1 and 2
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "x", "b", "y"], {"a", "b"}, 4) == pytest.approx(expected)
    assert expected == pytest.approx(0.919721, abs=1e-6)


def test_ndcg_ideal_uses_min_of_k_and_relevant() -> None:
    # one hit at rank 2, four relevant but k = 3: ideal DCG over 3 ranks
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    assert ndcg_at_k(["x", "a", "y"], {"a", "b", "c", "d"}, 3) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 2) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], set(), 1) == 0.0


def test_average_precision() -> None:
    # hits at ranks 1 and 3, three relevant, k = 4: (1/1 + 2/3) / min(4, 3)
    assert average_precision_at_k(["a", "x", "c", "y"], {"a", "c", "z"}, 4) == pytest.approx((1 + 2 / 3) / 3)
    # hit at rank 2, one relevant: (1/2) / 1
    assert average_precision_at_k(["x", "y"], {"y"}, 2) == pytest.approx(0.5)
    # normalisation by k when there are more relevant items than k: (1/1) / min(2, 5)
    assert average_precision_at_k(["a", "x"], {"a", "b", "c", "d", "e"}, 2) == pytest.approx(0.5)


def test_hit_rate() -> None:
    assert hit_rate_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    assert hit_rate_at_k(["x", "y", "a"], {"a"}, 3) == 1.0


def test_catalog_coverage() -> None:
    recs = recs_frame({"u1": ["a", "b"], "u2": ["b", "c"]})
    catalog = ["a", "b", "c", "d", "e"]
    assert catalog_coverage(recs, catalog, 1) == pytest.approx(2 / 5)
    assert catalog_coverage(recs, catalog, 2) == pytest.approx(3 / 5)


def test_novelty_is_mean_negative_log2_share() -> None:
    shares = pd.Series({"a": 0.5, "b": 0.25, "c": 0.125})
    recs = recs_frame({"u1": ["a", "b"], "u2": ["c"]})
    assert novelty(recs, shares, 2) == pytest.approx((1 + 2 + 3) / 3)
    assert novelty(recs, shares, 1) == pytest.approx((1 + 3) / 2)


def test_popularity_shares_count_users_and_floor_unseen_items() -> None:
    train = pd.DataFrame(
        {
            "person_id": ["u1", "u1", "u2", "u3", "u4", "u4"],
            "item_id": ["a", "a", "a", "b", "b", "c"],
            "weight": [1.0, 2.0, 1.0, 1.0, -5.0, 1.0],
        }
    )
    shares = popularity_shares(train, ["a", "b", "c", "d"])
    # users with positive totals: u1, u2, u3, u4; u4's refund cancels b
    assert shares.to_dict() == pytest.approx({"a": 2 / 4, "b": 1 / 4, "c": 1 / 4, "d": 1 / 4})


def test_user_metrics_matches_hand_values() -> None:
    recs = recs_frame({"u1": ["a", "x", "b", "y"], "u2": ["x", "y"]})
    relevant = relevant_frame({"u1": {"a", "b"}, "u2": {"y"}, "u3": {"q"}})
    table = user_metrics(recs, relevant, [2, 4]).set_index(["person_id", "k"])
    assert table.loc[("u1", 4), "ndcg"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert table.loc[("u1", 2), "precision"] == pytest.approx(1 / 2)
    assert table.loc[("u1", 4), "map"] == pytest.approx((1 + 2 / 3) / 2)
    assert table.loc[("u2", 2), "map"] == pytest.approx(0.5)
    assert table.loc[("u2", 2), "ndcg"] == pytest.approx((1 / math.log2(3)) / 1.0)
    # a person with relevant items but no recommendations counts as all zeros
    assert table.loc[("u3", 4)].to_dict() == {"precision": 0, "recall": 0, "ndcg": 0, "map": 0, "hit_rate": 0}


def test_user_metrics_agree_with_definitions_on_random_lists() -> None:
    rng = np.random.default_rng(7)
    items = [f"i{n}" for n in range(30)]
    lists = {f"u{n}": list(rng.choice(items, size=rng.integers(0, 12), replace=False)) for n in range(40)}
    sets = {f"u{n}": set(rng.choice(items, size=rng.integers(1, 8), replace=False)) for n in range(40)}
    table = user_metrics(recs_frame(lists), relevant_frame(sets), [1, 5, 10]).set_index(["person_id", "k"])
    definitions = {
        "precision": precision_at_k,
        "recall": recall_at_k,
        "ndcg": ndcg_at_k,
        "map": average_precision_at_k,
        "hit_rate": hit_rate_at_k,
    }
    for (person, k), row in table.iterrows():
        for metric, function in definitions.items():
            assert row[metric] == pytest.approx(function(lists[person], sets[person], k)), (person, k, metric)
