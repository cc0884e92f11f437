"""Unit tests for the identity scores: pairwise precision/recall from contingency tables, truth keying."""

from __future__ import annotations

from itertools import combinations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tailor.identity import (
    DEFAULT_PII_SALT,
    cluster_stats,
    evaluate_identity_map,
    evidence_components,
    pairs_within,
    pairwise_scores,
    pii_salt,
    pseudonymize,
    truth_in_warehouse_terms,
)


def brute_force(predicted: list[str], truth: list[str]) -> tuple[int, int, int]:
    """(both, predicted, truth) pair counts by enumerating every pair: the reference for small inputs."""
    both = pred = true = 0
    for i, j in combinations(range(len(predicted)), 2):
        same_pred, same_true = predicted[i] == predicted[j], truth[i] == truth[j]
        pred += same_pred
        true += same_true
        both += same_pred and same_true
    return both, pred, true


def test_pairs_within_is_sum_of_binomials() -> None:
    assert pairs_within([1, 2, 3, 4]) == 0 + 1 + 3 + 6
    assert pairs_within([]) == 0


def test_perfect_resolution_scores_one() -> None:
    scores = pairwise_scores(["p1", "p1", "p2", "p3"], ["a", "a", "b", "c"])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_hand_made_over_merge() -> None:
    # one predicted person holds a's 3 identifiers and b's 2: 10 predicted pairs, 3 + 1 of them true
    scores = pairwise_scores(["p"] * 5, ["a", "a", "a", "b", "b"])
    assert (scores.true_pairs, scores.predicted_pairs, scores.truth_pairs) == (4, 10, 4)
    assert scores.precision == pytest.approx(0.4) and scores.recall == 1.0


def test_hand_made_split() -> None:
    # a's 4 identifiers split 2 + 2: 6 true pairs, 2 found
    scores = pairwise_scores(["p1", "p1", "p2", "p2"], ["a"] * 4)
    assert (scores.true_pairs, scores.predicted_pairs, scores.truth_pairs) == (2, 2, 6)
    assert scores.precision == 1.0 and scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.5)


def test_no_pairs_anywhere_is_vacuously_perfect() -> None:
    scores = pairwise_scores(["p1", "p2"], ["a", "b"])
    assert (scores.precision, scores.recall) == (1.0, 1.0)


def test_contingency_counts_match_brute_force() -> None:
    rng = np.random.default_rng(11)
    predicted = [f"p{x}" for x in rng.integers(0, 15, 200)]
    truth = [f"t{x}" for x in rng.integers(0, 12, 200)]
    scores = pairwise_scores(predicted, truth)
    assert (scores.true_pairs, scores.predicted_pairs, scores.truth_pairs) == brute_force(predicted, truth)


def test_missing_labels_are_rejected() -> None:
    with pytest.raises(ValueError, match="label"):
        pairwise_scores(["p1", None], ["a", "a"])


def test_cluster_stats_count_splits_and_merges() -> None:
    stats = cluster_stats(["p1", "p1", "p2", "p3", "p3", "p4"], ["a", "a", "a", "b", "c", "d"])
    assert stats.n_predicted_persons == 4 and stats.n_true_persons == 4
    assert stats.n_split_true_persons == 1  # a sits in p1 and p2
    assert stats.n_merged_predicted_persons == 1  # p3 holds b and c
    assert stats.max_identifiers_per_predicted_person == 2
    assert stats.share_singleton_predicted_persons == pytest.approx(0.5)


def fake_hash(value: str) -> str:
    return "h_" + value


def truth_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": ["A", "A", "A", "B", "B", "C", "D"],
            "identifier_type": ["user_id", "email", "anonymous_id", "user_id", "email", "email", "email"],
            "identifier_value": ["U1", "a@x.com", "d1", "U2", "b@x.com", "test@example.com", "test@example.com"],
        }
    )


def test_truth_is_keyed_like_the_warehouse_and_shared_values_are_flagged() -> None:
    keyed = truth_in_warehouse_terms(truth_frame(), fake_hash)
    assert set(keyed["identifier_type"]) == {"user_id", "email_hash", "anonymous_id"}
    assert "h_a@x.com" in set(keyed["identifier_value"])
    shared = keyed[keyed["identifier_value"] == "h_test@example.com"]
    assert len(shared) == 2 and set(shared["n_owners"]) == {2}


def test_evaluate_identity_map_scores_only_identifiers_known_to_both() -> None:
    identity_map = pd.DataFrame(
        {
            "identifier_type": ["user_id", "email_hash", "anonymous_id", "user_id", "email_hash", "anonymous_id"],
            "identifier_value": ["U1", "h_a@x.com", "d1", "U2", "h_b@x.com", "not-in-truth"],
            "person_id": ["p1", "p1", "p2", "p3", "p3", "p1"],
        }
    )
    evaluation = evaluate_identity_map(identity_map, truth_frame(), fake_hash)
    # scored: A = {U1, a, d1} in p1, p1, p2 (1 of 3 pairs found), B = {U2, b} in p3 (1 of 1)
    assert evaluation.scores.true_pairs == 2
    assert evaluation.scores.predicted_pairs == 2
    assert evaluation.scores.truth_pairs == 4
    assert evaluation.scores.recall == pytest.approx(0.5) and evaluation.scores.precision == 1.0
    assert evaluation.n_ambiguous_truth_identifiers == 1
    assert evaluation.stats.n_identifiers == 5
    report = evaluation.as_dict()
    assert report["precision"] == 1.0 and report["n_split_true_persons"] == 1


def test_pseudonymize_matches_the_sql_macro() -> None:
    raw = "  Jane.Doe@Example.COM "
    ((expected,),) = duckdb.sql(f"select sha256('salt' || nullif(lower(trim('{raw}')), ''))").fetchall()
    assert pseudonymize(raw, "salt") == expected
    assert pseudonymize("   ", "salt") is None
    assert pii_salt({}) == DEFAULT_PII_SALT and pii_salt({"TAILOR_PII_SALT": "s"}) == "s"


def test_linkable_recall_counts_only_pairs_the_records_tie() -> None:
    # A owns U1, a@x.com and device d1, but d1 was never seen with either: only U1-a is linkable
    edges = pd.DataFrame(
        {
            "left_type": ["user_id", "anonymous_id", "user_id"],
            "left_value": ["U1", "d1", "U2"],
            "right_type": ["email_hash", None, "email_hash"],
            "right_value": ["h_a@x.com", None, "h_b@x.com"],
            "is_blocked": [False, False, False],
        }
    )
    keyed = truth_in_warehouse_terms(truth_frame(), fake_hash)
    component = evidence_components(edges, keyed)
    assert component["user_id:U1"] == component["email_hash:h_a@x.com"] != component["anonymous_id:d1"]
    identity_map = pd.DataFrame(
        {
            "identifier_type": ["user_id", "email_hash", "anonymous_id", "user_id", "email_hash"],
            "identifier_value": ["U1", "h_a@x.com", "d1", "U2", "h_b@x.com"],
            "person_id": ["p1", "p1", "p2", "p3", "p3"],
        }
    )
    evaluation = evaluate_identity_map(identity_map, truth_frame(), fake_hash, edges)
    assert evaluation.scores.recall == pytest.approx(0.5)  # 2 of 4 true pairs
    assert evaluation.linkable is not None and evaluation.linkable.recall == 1.0  # 2 of 2 linkable pairs
    assert evaluation.as_dict()["linkable_pairs"] == 2


def test_edges_across_two_true_persons_do_not_make_pairs_linkable() -> None:
    edges = pd.DataFrame(
        {
            "left_type": ["user_id"],
            "left_value": ["U1"],
            "right_type": ["email_hash"],
            "right_value": ["h_b@x.com"],  # B's email seen with A's login
        }
    )
    component = evidence_components(edges, truth_in_warehouse_terms(truth_frame(), fake_hash))
    assert component["user_id:U1"] != component["email_hash:h_b@x.com"]
