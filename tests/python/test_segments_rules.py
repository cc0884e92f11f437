"""Readable segment rules from a shallow tree: text format, faithfulness to the tree, agreement."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tailor.segments import SegmentConfig, fit_segment_rules
from tailor.segments.rules import NO_RULE_TEXT, FeatureBound

CLAUSE = r"(\(?(-?[\d.e+]+ < )?[a-z_0-9]+ (<=|>) -?[\d.e+]+( or [a-z_0-9]+ is null\))?)"
RULE = re.compile(rf"^\(?{CLAUSE}( and {CLAUSE})*\)?( or \(?{CLAUSE}( and {CLAUSE})*\)?)*$")


def rfm_frame(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    recency = np.where(labels == 0, rng.uniform(0, 14, n), rng.uniform(20, 300, n))
    frequency = np.where(labels == 1, rng.integers(5, 20, n), rng.integers(0, 4, n)).astype(float)
    frequency[labels == 0] = rng.integers(5, 20, (labels == 0).sum())
    recency[rng.random(n) < 0.05] = np.nan  # never ordered
    noise = rng.normal(size=n)
    return pd.DataFrame({"recency_days": recency, "frequency_orders": frequency, "noise": noise}), labels


def test_rules_read_like_conditions_and_reach_high_agreement() -> None:
    values, labels = rfm_frame()
    rules = fit_segment_rules(values, labels, SegmentConfig(tree_max_depth=3))
    assert rules.agreement > 0.9
    assert set(rules.text_by_label) == {0, 1, 2}
    for text in rules.text_by_label.values():
        assert RULE.match(text), text
    assert "recency_days <= " in rules.text_by_label[0]
    assert "noise" not in " ".join(rules.text_by_label.values())
    assert all(0 <= rules.precision_by_label[label] <= 1 for label in (0, 1, 2))


def test_leaf_rules_reproduce_the_tree_partition_including_nulls() -> None:
    values, labels = rfm_frame(seed=1)
    rules = fit_segment_rules(values, labels, SegmentConfig(tree_max_depth=4))
    masks = np.stack([leaf.mask(values) for leaf in rules.leaves])
    assert (masks.sum(axis=0) == 1).all()  # leaves partition everyone, nulls included
    assert [int(mask.sum()) for mask in masks] == [leaf.support for leaf in rules.leaves]
    predicted = np.array([rules.leaves[i].label for i in masks.argmax(axis=0)])
    assert (predicted == labels).mean() == pytest.approx(rules.agreement)


def test_split_that_changes_nothing_is_merged_away() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 100, 5000)
    # above 50 the purity improves at 75 (a split gini likes) but both sides still predict segment 1
    share_of_one = np.where(x < 50, 0.0, np.where(x < 75, 0.6, 0.95))
    labels = (rng.random(5000) < share_of_one).astype(int)
    rules = fit_segment_rules(pd.DataFrame({"x": x}), labels, SegmentConfig(tree_max_depth=2))
    assert re.match(r"^x > 49\.\d+$|^x > 50\.\d+$", rules.text_by_label[1]), rules.text_by_label[1]
    assert len([leaf for leaf in rules.leaves if leaf.label == 1]) == 1


def test_segment_the_tree_never_predicts_gets_a_one_vs_rest_rule() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 4000)
    labels = np.where(x < 45, 0, np.where(x < 90, 1, 2))
    labels[(x > 60) & (x < 62)] = 3  # a thin middle slice
    values = pd.DataFrame({"x": x})
    shallow = fit_segment_rules(values, labels, SegmentConfig(tree_max_depth=1, tree_min_leaf_share=0.0))
    assert shallow.text_by_label[0].startswith("x <= 44.9") and shallow.text_by_label[1].startswith(
        "x > 44.9"
    )
    assert shallow.text_by_label[2].startswith("x > 89.9")  # one split cannot also serve class 2: one-vs-rest
    assert shallow.recall_by_label[2] == 1.0 and shallow.precision_by_label[2] == 1.0
    assert shallow.text_by_label[3] == NO_RULE_TEXT  # a middle slice needs two splits
    deeper = fit_segment_rules(values, labels, SegmentConfig(tree_max_depth=2, tree_min_leaf_share=0.0))
    assert re.match(r"^60\.\d+ < x <= 61\.\d+$", deeper.text_by_label[3])


def test_feature_bound_text_forms() -> None:
    assert FeatureBound("recency_days", None, 14.5, False).text() == "recency_days <= 14.5"
    assert FeatureBound("frequency_orders", 4.5, None, False).text() == "frequency_orders > 4.5"
    assert FeatureBound("monetary_usd", 10.0, 250.25, False).text() == "10 < monetary_usd <= 250.25"
    assert (
        FeatureBound("recency_days", None, 14.5, True).text()
        == "(recency_days <= 14.5 or recency_days is null)"
    )


def test_rules_are_deterministic() -> None:
    values, labels = rfm_frame(seed=4)
    first = fit_segment_rules(values, labels)
    second = fit_segment_rules(values, labels)
    assert first.text_by_label == second.text_by_label and first.agreement == second.agreement
