"""End-to-end segmentation on six planted personas: k, recovery, names, outputs, fallbacks, determinism."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tailor.segments import (
    FALLBACK_LOW_CONFIDENCE,
    FALLBACK_NEW,
    adjusted_rand,
    assign_segments,
    fit_clusters,
    prepare_features,
    run_segmentation,
)
from tailor.segments.cluster import silhouette_by_labeling
from tailor.segments.pipeline import MEMBERSHIP_COLUMNS, SEGMENT_COLUMNS
from tailor.segments.synthetic import PERSONA_CONFIG, make_persona_profiles

RETRAINED_AT = pd.Timestamp("2024-06-01 00:00:00", tz="UTC")
EXPECTED_NAME_PART = {
    "loyal_high_value": "high-value",
    "engaged_browser": "browsers",
    "bargain_hunter": "Bargain",
    "new_visitor": "New visitors",
    "lapsing_customer": "Lapsing",
    "content_video_heavy": "Video",
}


@pytest.fixture(scope="module")
def data():
    return make_persona_profiles(3000, seed=11)


@pytest.fixture(scope="module")
def result(data):
    return run_segmentation(data.profiles, data.interactions, config=PERSONA_CONFIG, retrained_at=RETRAINED_AT)


def clustered(result) -> pd.DataFrame:
    return result.membership[~result.membership["is_fallback"]]


def majority_segment(result, personas: pd.Series) -> pd.DataFrame:
    members = clustered(result).assign(persona=lambda m: personas.loc[m["person_id"]].to_numpy())
    return members.groupby("persona")[["segment_id", "segment_name"]].agg(lambda s: s.mode().iloc[0])


def test_auto_k_finds_the_planted_personas(result, data) -> None:
    assert abs(result.clusters.k - 6) <= 1
    assert set(result.clusters.silhouette_by_k) == set(range(4, 11))
    members = clustered(result)
    assert adjusted_rand(data.personas.loc[members["person_id"]], members["segment_id"]) >= 0.7


def test_names_are_unique_and_sensible(result, data) -> None:
    names = result.segments["segment_name"]
    assert names.is_unique
    by_persona = majority_segment(result, data.personas)
    for persona, part in EXPECTED_NAME_PART.items():
        assert part in by_persona.at[persona, "segment_name"], (
            persona,
            by_persona.at[persona, "segment_name"],
        )
    clusters = result.segments[~result.segments["is_fallback"]]
    monetary = clusters["centroid_json"].map(lambda text: json.loads(text)["monetary_usd"]["mean"])
    assert "high-value" in clusters.loc[monetary.idxmax(), "segment_name"]


def test_segment_table_shape_and_content(result, data) -> None:
    segments = result.segments
    assert list(segments.columns) == SEGMENT_COLUMNS
    assert segments["segment_id"].is_unique
    assert segments["size"].sum() == len(data.profiles)
    assert segments["share"].sum() == pytest.approx(1.0)
    assert set(segments.loc[segments["is_fallback"], "segment_id"]) == {FALLBACK_NEW, FALLBACK_LOW_CONFIDENCE}
    clusters = segments[~segments["is_fallback"]]
    assert list(clusters["segment_id"]) == [f"seg_{i:02d}" for i in range(1, len(clusters) + 1)]
    assert (clusters["size"].diff().dropna() <= 0).all()  # first run numbers segments by size
    assert (clusters["tree_agreement"] >= 0.6).all() and clusters["tree_agreement"].nunique() == 1
    assert (
        clusters["rules"].str.len().gt(0).all() and clusters["top_features"].str.contains(r"\(z [+-]").all()
    )
    summary = json.loads(clusters["centroid_json"].iloc[0])
    assert set(summary["recency_days"]) == {"mean", "population_mean", "z"}
    assert (segments["retrained_at"] == RETRAINED_AT).all() and (segments["created_at"] == RETRAINED_AT).all()
    top = result.top_features
    assert list(top.columns) == ["segment_id", "rank", "feature", "segment_mean", "population_mean", "z"]
    assert top.groupby("segment_id")["rank"].max().eq(5).all()


def test_membership_covers_everyone_once(result, data) -> None:
    membership = result.membership
    assert list(membership.columns) == MEMBERSHIP_COLUMNS
    assert membership["person_id"].is_unique and len(membership) == len(data.profiles)
    assert membership["person_id"].is_monotonic_increasing
    names = dict(zip(result.segments["segment_id"], result.segments["segment_name"], strict=True))
    assert (membership["segment_name"] == membership["segment_id"].map(names)).all()
    assert membership.loc[membership["is_fallback"], "distance_to_centroid"].isna().all()
    assert (membership.loc[~membership["is_fallback"], "distance_to_centroid"] >= 0).all()
    sizes = membership["segment_id"].value_counts()
    assert (
        result.segments.set_index("segment_id")["size"] == sizes.reindex(result.segments["segment_id"])
    ).all()


def test_fallbacks_applied_and_excluded_from_fitting(result, data) -> None:
    profiles = data.profiles.set_index("person_id")
    segment_of = result.membership.set_index("person_id")["segment_id"]
    new = profiles["days_since_first_seen"] < 7
    low = profiles["is_low_confidence"] & ~new
    assert new.sum() > 0 and low.sum() > 0
    assert (segment_of[new[new].index] == FALLBACK_NEW).all()
    assert (segment_of[low[low].index] == FALLBACK_LOW_CONFIDENCE).all()
    assert not segment_of[~(new | low)].str.startswith("fallback").any()
    # wild values on fallback persons must not move anyone else's cluster
    wild = data.profiles.copy()
    wild.loc[wild["is_low_confidence"], "monetary_usd"] = 1e9
    same_k = replace(PERSONA_CONFIG, k=result.clusters.k)  # the k-means fit for a given k does not depend on the range
    again = run_segmentation(wild, data.interactions, config=same_k, retrained_at=RETRAINED_AT)
    pd.testing.assert_frame_equal(again.membership, result.membership)


def test_quality_checks_pass_on_clean_personas(result) -> None:
    assert [check.name for check in result.checks] == ["min_share", "max_share", "unique_names"]
    assert all(check.passed for check in result.checks), result.checks


def test_same_input_same_labels_even_when_rows_are_shuffled(result, data) -> None:
    again = run_segmentation(data.profiles, data.interactions, config=PERSONA_CONFIG, retrained_at=RETRAINED_AT)
    pd.testing.assert_frame_equal(again.membership, result.membership)
    pd.testing.assert_frame_equal(again.segments, result.segments)
    assert again.clusters.silhouette_by_k == result.clusters.silhouette_by_k
    shuffled = data.profiles.sample(frac=1.0, random_state=3)
    interactions = data.interactions.sample(frac=1.0, random_state=4)
    same_k = replace(PERSONA_CONFIG, k=result.clusters.k)
    moved = run_segmentation(shuffled, interactions, config=same_k, retrained_at=RETRAINED_AT)
    pd.testing.assert_frame_equal(moved.membership, result.membership)


def test_first_run_drift_table(result) -> None:
    drift = result.drift
    assert (drift["drift_status"] == "first_run").all()
    assert drift["psi_total"].isna().all()
    assert drift["current_share"].sum() == pytest.approx(1.0)


def test_assign_segments_reproduces_membership_without_refit(result, data) -> None:
    assigned = assign_segments(result.model, data.profiles, data.interactions)
    agreement = (assigned["segment_id"] == result.membership["segment_id"]).mean()
    assert agreement > 0.99
    assert (assigned["is_fallback"] == result.membership["is_fallback"]).all()


def test_fixed_k_and_hierarchical_option(data) -> None:
    fixed = run_segmentation(data.profiles, data.interactions, config=replace(PERSONA_CONFIG, k=5))
    assert fixed.clusters.k == 5 and list(fixed.clusters.silhouette_by_k) == [5]
    hierarchical = run_segmentation(
        data.profiles,
        data.interactions,
        config=replace(PERSONA_CONFIG, method="hierarchical", hierarchical_sample_size=2000),
    )
    assert hierarchical.clusters.method == "hierarchical" and abs(hierarchical.clusters.k - 6) <= 1
    members = clustered(hierarchical)
    assert adjusted_rand(data.personas.loc[members["person_id"]], members["segment_id"]) >= 0.7


def test_silhouette_sampling_is_exact_sklearn_silhouette() -> None:
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(700, 5))
    matrix[:300] += 2.5
    labelings = {2: (np.arange(700) < 300).astype(int), 4: rng.integers(0, 4, 700)}
    labelings[3] = np.r_[np.zeros(350, int), np.ones(349, int), [2]]  # a singleton cluster scores 0
    ours = silhouette_by_labeling(matrix, labelings, chunk_rows=128)
    for k, labels in labelings.items():
        assert ours[k] == pytest.approx(silhouette_score(matrix, labels), abs=1e-9)


def test_clusters_are_ordered_by_size_and_deterministic(data) -> None:
    prepared, _ = prepare_features(data.profiles.head(2000), data.interactions, PERSONA_CONFIG)
    first = fit_clusters(prepared.matrix, replace(PERSONA_CONFIG, k=6))
    second = fit_clusters(prepared.matrix, replace(PERSONA_CONFIG, k=6))
    np.testing.assert_array_equal(first.labels, second.labels)
    counts = np.bincount(first.labels)
    assert (np.diff(counts) <= 0).all()


def test_everyone_fallback_publishes_only_fallback_segments() -> None:
    data = make_persona_profiles(60, seed=5)
    profiles = data.profiles.assign(is_low_confidence=True)
    result = run_segmentation(profiles, data.interactions, config=PERSONA_CONFIG, retrained_at=RETRAINED_AT)
    assert list(result.segments["segment_id"]) == [FALLBACK_LOW_CONFIDENCE, FALLBACK_NEW]
    assert result.segments["size"].sum() == 60 and result.membership["is_fallback"].all()
    min_share = next(check for check in result.checks if check.name == "min_share")
    assert not min_share.passed and "every person is a fallback" in min_share.message


def test_tiny_inputs_cap_k_by_the_number_of_distinct_persons() -> None:
    data = make_persona_profiles(3, seed=9, brand_new_share=0.0, low_confidence_share=0.0)
    for method in ("kmeans", "hierarchical"):
        result = run_segmentation(data.profiles, data.interactions, config=replace(PERSONA_CONFIG, method=method))
        assert result.clusters.k == 2 and len(result.membership) == 3


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="one row per person_id"):
        run_segmentation(pd.DataFrame({"person_id": ["a", "a"], "sessions_90d": [1, 2]}))
    with pytest.raises(ValueError, match="person_id column"):
        run_segmentation(pd.DataFrame({"sessions_90d": [1, 2]}))
