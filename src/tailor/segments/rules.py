"""Readable membership rules: a shallow decision tree on original-unit features, fitted to the clusters.

The tree explains the segmentation in words a marketer can check ("recency_days <= 14.5 and
frequency_orders > 4.5"); its accuracy against the cluster labels says how far to trust that story.
Missing values are routed natively by the tree, so rules say "or <feature> is null" where that applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from tailor.segments.cluster import sample_indices
from tailor.segments.config import SegmentConfig

NO_RULE_TEXT = "no separate rule at this tree depth"


@dataclass(frozen=True)
class FeatureBound:
    """lower < feature <= upper (either side optional), plus whether nulls satisfy it."""

    feature: str
    lower: float | None
    upper: float | None
    includes_null: bool

    def text(self) -> str:
        if self.lower is not None and self.upper is not None:
            clause = f"{_num(self.lower)} < {self.feature} <= {_num(self.upper)}"
        elif self.lower is not None:
            clause = f"{self.feature} > {_num(self.lower)}"
        else:
            clause = f"{self.feature} <= {_num(self.upper)}"
        return f"({clause} or {self.feature} is null)" if self.includes_null else clause

    def mask(self, values: pd.DataFrame) -> np.ndarray:
        column = values[self.feature].to_numpy(dtype=float)
        inside = np.ones(len(column), dtype=bool)
        if self.lower is not None:
            inside &= column > self.lower
        if self.upper is not None:
            inside &= column <= self.upper
        return inside | (np.isnan(column) & self.includes_null)


@dataclass(frozen=True)
class LeafRule:
    """One tree leaf: the segment it predicts, its conjunction of bounds, support and precision."""

    label: int
    bounds: tuple[FeatureBound, ...]
    support: int
    precision: float

    def text(self) -> str:
        return " and ".join(bound.text() for bound in self.bounds) or "all persons"

    def mask(self, values: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(values), dtype=bool)
        for bound in self.bounds:
            inside &= bound.mask(values)
        return inside


@dataclass(frozen=True)
class SegmentRules:
    """Rule text per label, the leaves behind it, and how well the tree agrees with the clusters."""

    text_by_label: dict[int, str]
    leaves: tuple[LeafRule, ...]
    agreement: float
    precision_by_label: dict[int, float]
    recall_by_label: dict[int, float]
    features: tuple[str, ...]


def _num(value: float) -> str:
    return f"{value:.6g}"


def _node_classes(tree: DecisionTreeClassifier) -> list[int | None]:
    """Predicted class of every node whose whole subtree predicts one class (None where children differ)."""
    structure = tree.tree_
    classes: list[int | None] = [None] * structure.node_count
    for node in reversed(range(structure.node_count)):  # children always have higher ids than parents
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:
            classes[node] = int(tree.classes_[int(np.argmax(structure.value[node][0]))])
        elif classes[left] is not None and classes[left] == classes[right]:
            classes[node] = classes[left]
    return classes


def _rule_regions(
    tree: DecisionTreeClassifier,
) -> list[tuple[int, list[tuple[int, bool, float, bool]], list[int]]]:
    """(class, path, leaves) per region: subtrees predicting one class are merged, so no rule carries a
    split that changes nothing. Path steps are (feature index, went_left, threshold, nulls_went_this_way)."""
    structure = tree.tree_
    classes = _node_classes(tree)
    regions = []
    stack: list[tuple[int, list[tuple[int, bool, float, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if classes[node] is not None:
            regions.append((classes[node], path, _leaves_under(structure, node)))
            continue
        left, right = structure.children_left[node], structure.children_right[node]
        feature, threshold = int(structure.feature[node]), float(structure.threshold[node])
        null_left = bool(structure.missing_go_to_left[node])
        stack.append((right, [*path, (feature, False, threshold, not null_left)]))
        stack.append((left, [*path, (feature, True, threshold, null_left)]))
    return regions


def _leaves_under(structure, node: int) -> list[int]:
    leaves, stack = [], [node]
    while stack:
        current = stack.pop()
        left, right = structure.children_left[current], structure.children_right[current]
        if left == right:
            leaves.append(current)
        else:
            stack += [left, right]
    return leaves


def _bounds(
    path: list[tuple[int, bool, float, bool]], features: list[str], has_null: set[str]
) -> tuple[FeatureBound, ...]:
    merged: dict[int, list[float | None | bool]] = {}
    for feature, went_left, threshold, null_this_way in path:
        lower, upper, null_ok = merged.get(feature, [None, None, True])
        if went_left:
            upper = threshold if upper is None else min(upper, threshold)
        else:
            lower = threshold if lower is None else max(lower, threshold)
        merged[feature] = [lower, upper, bool(null_ok) and null_this_way]
    return tuple(
        FeatureBound(features[index], lower, upper, bool(null_ok) and features[index] in has_null)
        for index, (lower, upper, null_ok) in sorted(merged.items(), key=lambda item: features[item[0]])
    )


def _tree(config: SegmentConfig, n_rows: int) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(
        max_depth=config.tree_max_depth,
        min_samples_leaf=max(1, math.ceil(config.tree_min_leaf_share * n_rows)),
        random_state=config.random_state,
    )


def _leaf_rules(
    tree: DecisionTreeClassifier,
    matrix: np.ndarray,
    labels: np.ndarray,
    features: list[str],
    has_null: set[str],
) -> list[LeafRule]:
    leaf_of_row = tree.apply(matrix)
    leaves = []
    for label, path, nodes in _rule_regions(tree):
        in_leaf = np.isin(leaf_of_row, nodes)
        precision = float((labels[in_leaf] == label).mean()) if in_leaf.any() else float("nan")
        leaves.append(LeafRule(int(label), _bounds(path, features, has_null), int(in_leaf.sum()), precision))
    return leaves


def _rule_text(leaves: list[LeafRule]) -> str:
    leaves = sorted(leaves, key=lambda leaf: (-leaf.support, leaf.text()))
    if len(leaves) == 1:
        return leaves[0].text()
    return " or ".join(f"({leaf.text()})" for leaf in leaves)


def _precision_recall(predicted: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    precision = float(actual[predicted].mean()) if predicted.any() else 0.0
    recall = float(predicted[actual].mean()) if actual.any() else 0.0
    return precision, recall


def fit_segment_rules(
    values: pd.DataFrame, labels: np.ndarray, config: SegmentConfig | None = None
) -> SegmentRules:
    """Fit a depth-limited tree (fixed seed, fixed-seed sample at scale) and export one rule per segment.

    `values`: original-unit features of the clustered persons (NaN allowed); `labels`: their cluster labels.
    The multiclass tree's leaves partition everyone, so its rules could assign persons in SQL; a segment
    that no leaf predicts gets its rule from a one-vs-rest tree of the same depth instead (may overlap).
    """
    config = config or SegmentConfig()
    labels = np.asarray(labels)
    features = [name for name in values.columns if values[name].notna().any()]
    has_null = {name for name in features if values[name].isna().any()}
    matrix = values[features].to_numpy(dtype=float)
    rows = sample_indices(len(matrix), config.tree_sample_size, config.random_state)
    tree = _tree(config, len(rows)).fit(matrix[rows], labels[rows])
    predicted = tree.predict(matrix)
    leaves = _leaf_rules(tree, matrix, labels, features, has_null)
    text_by_label, precision_by_label, recall_by_label = {}, {}, {}
    for label in (int(label) for label in np.unique(labels)):
        own = [leaf for leaf in leaves if leaf.label == label]
        hits = predicted == label
        if not own:
            target = labels == label
            one_vs_rest = _tree(config, len(rows)).fit(matrix[rows], target[rows])
            own = [
                leaf for leaf in _leaf_rules(one_vs_rest, matrix, target, features, has_null) if leaf.label
            ]
            own = [LeafRule(label, leaf.bounds, leaf.support, leaf.precision) for leaf in own]
            hits = one_vs_rest.predict(matrix).astype(bool)
        text_by_label[label] = _rule_text(own) if own else NO_RULE_TEXT
        precision_by_label[label], recall_by_label[label] = _precision_recall(hits, labels == label)
    return SegmentRules(
        text_by_label=text_by_label,
        leaves=tuple(leaves),
        agreement=float((predicted == labels).mean()),
        precision_by_label=precision_by_label,
        recall_by_label=recall_by_label,
        features=tuple(features),
    )
