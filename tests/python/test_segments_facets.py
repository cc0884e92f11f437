"""Facet weights, de-duplicated missing indicators and the tolerant, stability-checked choice of k."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from tailor.segments import NumericFeature, SegmentConfig, config_from_mapping, fit_clusters, prepare_features
from tailor.segments.cluster import choose_k, subsample_stability
from tailor.segments.prepare import duplicate_indicators, facet_weights

ORDERS = SegmentConfig(
    numeric_features=(
        NumericFeature("frequency_orders"),
        NumericFeature("recency_days"),
        NumericFeature("discount_share"),
        NumericFeature("sessions_90d"),
    ),
    categorical_features=(),
    embedding_components=0,
    scaler="standard",
    clip=100.0,
    indicator_weight=1.0,
    dedupe_indicators=True,
    feature_groups=(),
)


def order_profiles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": list("abcdef"),
            "frequency_orders": [0.0, 1.0, 2.0, 0.0, 3.0, 5.0],
            "recency_days": [None, 10.0, 4.0, None, 2.0, 1.0],
            "discount_share": [None, 0.0, 0.5, None, 0.1, 0.2],
            "sessions_90d": [1.0, 4.0, 9.0, 2.0, 12.0, 20.0],
        }
    )


def test_duplicate_indicators_keep_the_first_of_each_pattern() -> None:
    a = np.array([True, False, True])
    masks = {"recency_days": a, "discount_share": a.copy(), "avg_scroll_percent": ~a, "x": ~a}
    assert duplicate_indicators(masks) == {"discount_share", "x"}
    assert duplicate_indicators({}) == set()


def test_facet_weights_share_one_unit_per_group() -> None:
    weights = facet_weights((("a", "b", "gone"), ("c",)), columns=["a", "b", "c", "d"], indicators=["a"])
    assert weights == pytest.approx({"a": 1 / np.sqrt(3), "b": 1 / np.sqrt(3), "a__missing": 1 / np.sqrt(3), "c": 1.0})
    assert sum(w**2 for k, w in weights.items() if k != "c") == pytest.approx(1.0)
    assert facet_weights((), ["a"], []) == {}
    with pytest.raises(ValueError, match="more than one facet"):
        facet_weights((("a",), ("a", "b")), ["a", "b"], [])


def test_identical_missing_patterns_get_one_indicator() -> None:
    prepared, _ = prepare_features(order_profiles(), config=ORDERS)
    assert "recency_days__missing" in prepared.feature_names
    assert "discount_share__missing" not in prepared.feature_names
    kept, _ = prepare_features(
        order_profiles(), config=SegmentConfig(**{**ORDERS.__dict__, "dedupe_indicators": False})
    )
    assert "discount_share__missing" in kept.feature_names


def test_feature_groups_scale_columns_and_their_indicator() -> None:
    plain, _ = prepare_features(order_profiles(), config=ORDERS)
    grouped_config = config_from_mapping(
        {
            "numeric_features": [f.__dict__ for f in ORDERS.numeric_features],
            "categorical_features": [],
            "embedding_components": 0,
            "scaler": "standard",
            "clip": 100.0,
            "indicator_weight": 1.0,
            "dedupe_indicators": True,
            "feature_groups": [["frequency_orders", "recency_days", "discount_share"]],
        }
    )
    assert grouped_config.feature_groups == (("frequency_orders", "recency_days", "discount_share"),)
    grouped, preparation = prepare_features(order_profiles(), config=grouped_config)
    assert grouped.feature_names == plain.feature_names
    for name in ["frequency_orders", "recency_days", "discount_share", "recency_days__missing"]:
        i = plain.feature_names.index(name)
        np.testing.assert_allclose(grouped.matrix[:, i], plain.matrix[:, i] / 2.0)
    i = plain.feature_names.index("sessions_90d")
    np.testing.assert_allclose(grouped.matrix[:, i], plain.matrix[:, i])
    assert preparation.group_weights["recency_days__missing"] == pytest.approx(0.5)


def test_choose_k_prefers_the_finest_tied_and_stable_k() -> None:
    scores = {4: 0.30, 5: 0.29, 6: 0.285, 7: 0.27, 8: float("nan")}
    assert choose_k(scores) == 4
    assert choose_k({4: 0.3, 5: 0.3}) == 4
    assert choose_k(scores, tolerance=0.02) == 6
    assert choose_k(scores, tolerance=0.02, stability={4: 0.99, 5: 0.9, 6: 0.6}, min_stability=0.8) == 5
    assert choose_k(scores, tolerance=0.02, stability={4: 0.5, 5: 0.5, 6: 0.5}, min_stability=0.8) == 6
    assert choose_k({4: float("nan"), 5: float("nan")}, tolerance=0.02) == 4


def test_subsample_stability_is_high_for_real_clusters_and_deterministic() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    blobs = np.vstack([c + rng.normal(size=(200, 2)) for c in centres])
    assert subsample_stability(blobs, 3, rounds=3, share=0.7, n_init=2, seed=1) > 0.95
    noise = rng.normal(size=(600, 2))
    first = subsample_stability(noise, 6, rounds=3, share=0.7, n_init=1, seed=1)
    assert first == subsample_stability(noise, 6, rounds=3, share=0.7, n_init=1, seed=1)
    assert first < 0.95


def test_fit_clusters_reports_stability_of_tied_ks() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]])
    blobs = np.vstack([c + rng.normal(size=(150, 2)) for c in centres])
    config = SegmentConfig(k_min=2, k_max=6, silhouette_tolerance=0.05, min_stability=0.8, n_init=2)
    result = fit_clusters(blobs, config)
    assert result.k == 4
    assert set(result.stability_by_k) <= set(result.silhouette_by_k)
    assert result.stability_by_k[4] > 0.9
    assert fit_clusters(blobs, config).stability_by_k == result.stability_by_k


def test_fit_threads_change_nothing_but_speed() -> None:
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]])
    # more rows than the fit sample, so the winner's refit on all rows runs too
    blobs = np.vstack([c + rng.normal(size=(300, 2)) for c in centres])
    config = SegmentConfig(
        k_min=2, k_max=6, silhouette_tolerance=0.15, min_stability=0.8, n_init=2, kmeans_fit_sample_size=900
    )
    one = fit_clusters(blobs, config)
    three = fit_clusters(blobs, dataclasses.replace(config, fit_threads=3))
    np.testing.assert_array_equal(one.labels, three.labels)
    np.testing.assert_array_equal(one.centroids, three.centroids)
    assert (one.k, one.silhouette_by_k, one.stability_by_k) == (three.k, three.silhouette_by_k, three.stability_by_k)
    assert len(one.stability_by_k) > 1
    with pytest.raises(ValueError):
        SegmentConfig(fit_threads=0)


def test_config_rejects_bad_k_choice_settings() -> None:
    with pytest.raises(ValueError):
        SegmentConfig(silhouette_tolerance=-0.1)
    with pytest.raises(ValueError):
        SegmentConfig(stability_rounds=1)
