"""Retraining stability: ids and names persist via Hungarian matching; drift and PSI behave."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tailor.segments import (
    drift_table,
    match_segments,
    population_stability_index,
    run_segmentation,
)
from tailor.segments.stability import centroid_distances, new_segment_ids, previous_centroids
from tailor.segments.synthetic import PERSONA_CONFIG, PERSONAS, make_persona_profiles

FIRST_RUN = pd.Timestamp("2024-06-01", tz="UTC")
SECOND_RUN = pd.Timestamp("2024-07-01", tz="UTC")
CONFIG = replace(PERSONA_CONFIG, k=6)


def persona_segments(result, personas: pd.Series) -> pd.DataFrame:
    members = result.membership[~result.membership["is_fallback"]]
    members = members.assign(persona=personas.loc[members["person_id"]].to_numpy())
    return members.groupby("persona")[["segment_id", "segment_name"]].agg(lambda s: s.mode().iloc[0])


@pytest.fixture(scope="module")
def first():
    data = make_persona_profiles(3000, seed=21)
    return data, run_segmentation(data.profiles, data.interactions, config=CONFIG, retrained_at=FIRST_RUN)


def test_retraining_on_new_rows_keeps_ids_and_names(first) -> None:
    data, previous = first
    # new people (other ids, other seed), same personas in slightly different proportions
    weights = {"loyal_high_value": 1.2, "engaged_browser": 0.9, "new_visitor": 1.1}
    fresh = make_persona_profiles(3000, seed=22, persona_weights=weights, id_prefix="Q")
    current = run_segmentation(
        fresh.profiles,
        fresh.interactions,
        config=PERSONA_CONFIG,  # auto-k this time: the retrain must still line up with the old ids
        previous_segments=previous.segments,
        retrained_at=SECOND_RUN,
    )
    before = persona_segments(previous, data.personas)
    after = persona_segments(current, fresh.personas)
    pd.testing.assert_frame_equal(after, before)
    assert len(current.matched) == current.clusters.k == 6
    segments = current.segments.set_index("segment_id")
    assert (segments["created_at"] == FIRST_RUN).all()
    assert (segments["retrained_at"] == SECOND_RUN).all()
    drift = current.drift
    assert set(drift["drift_status"]) == {"kept"}
    assert drift["psi_total"].iloc[0] < 0.05


def test_shifted_population_shows_large_psi_but_same_ids(first) -> None:
    data, previous = first
    shifted = make_persona_profiles(3000, seed=23, persona_weights={"loyal_high_value": 6.0}, id_prefix="S")
    current = run_segmentation(
        shifted.profiles, shifted.interactions, config=CONFIG, previous_segments=previous.segments
    )
    assert current.drift["psi_total"].iloc[0] > 0.25
    loyal_id = persona_segments(previous, data.personas).at["loyal_high_value", "segment_id"]
    row = current.drift.set_index("segment_id").loc[loyal_id]
    assert row["share_change"] > 0.2 and row["size_change"] > 0
    assert persona_segments(current, shifted.personas).at["loyal_high_value", "segment_id"] == loyal_id


def test_new_persona_gets_a_new_id_and_old_ones_keep_theirs() -> None:
    without_video = {"content_video_heavy": 0.0}
    old = make_persona_profiles(2500, seed=31, persona_weights=without_video)
    previous = run_segmentation(old.profiles, old.interactions, config=replace(PERSONA_CONFIG, k=5))
    new = make_persona_profiles(3000, seed=32, id_prefix="N")
    current = run_segmentation(
        new.profiles,
        new.interactions,
        config=replace(PERSONA_CONFIG, k=6),
        previous_segments=previous.segments,
        known_segment_ids=["seg_07"],  # retired in an earlier run: must not come back for another segment
    )
    before = persona_segments(previous, old.personas)
    after = persona_segments(current, new.personas)
    for persona in before.index:
        assert after.at[persona, "segment_id"] == before.at[persona, "segment_id"], persona
        assert after.at[persona, "segment_name"] == before.at[persona, "segment_name"], persona
    assert after.at["content_video_heavy", "segment_id"] == "seg_08"
    assert "Video" in after.at["content_video_heavy", "segment_name"]
    status = current.drift.set_index("segment_id")["drift_status"]
    assert status["seg_08"] == "new"
    assert set(PERSONAS) == set(after.index)


def test_retired_segment_is_reported_in_drift() -> None:
    previous = pd.DataFrame(
        {
            "segment_id": ["seg_01", "seg_02", "seg_03"],
            "segment_name": ["A", "B", "C"],
            "size": [50, 30, 20],
        }
    )
    current = pd.DataFrame(
        {"segment_id": ["seg_01", "seg_02", "seg_04"], "segment_name": ["A", "B", "D"], "size": [50, 30, 20]}
    )
    drift = drift_table(current, previous).set_index("segment_id")
    assert drift.loc["seg_03", "drift_status"] == "retired" and drift.loc["seg_03", "current_size"] == 0
    assert drift.loc["seg_04", "drift_status"] == "new" and drift.loc["seg_04", "previous_size"] == 0
    assert drift.loc["seg_01", "drift_status"] == "kept" and drift.loc["seg_01", "share_change"] == 0
    assert drift["psi_contribution"].sum() == pytest.approx(drift["psi_total"].iloc[0])


def test_psi_is_zero_for_identical_and_large_for_shifted_distributions() -> None:
    shares = {"seg_01": 0.3, "seg_02": 0.5, "seg_03": 0.2}
    assert population_stability_index(shares, shares) == pytest.approx(0.0)
    assert population_stability_index({"a": 300, "b": 500}, {"a": 3, "b": 5}) == pytest.approx(0.0)
    assert population_stability_index(shares, {"seg_01": 0.31, "seg_02": 0.49, "seg_03": 0.2}) < 0.01
    assert population_stability_index(shares, {"seg_01": 0.7, "seg_02": 0.1, "seg_03": 0.2}) > 0.25
    # a category that vanishes is floored at epsilon instead of dividing by zero
    assert np.isfinite(population_stability_index(shares, {"seg_01": 0.5, "seg_02": 0.5}))


def test_hungarian_matching_is_one_to_one_and_respects_max_distance() -> None:
    previous = pd.DataFrame({"x": [0.0, 10.0, 20.0]}, index=["seg_01", "seg_02", "seg_03"])
    current = pd.DataFrame({"x": [10.4, 0.2, 55.0, 19.0]}, index=[0, 1, 2, 3])
    scale = pd.Series({"x": 1.0})
    assert match_segments(current, previous, scale, max_distance=2.0) == {
        0: "seg_02",
        1: "seg_01",
        3: "seg_03",
    }
    # a greedy nearest match would give both clusters seg_01; the assignment keeps it one-to-one
    crowded = pd.DataFrame({"x": [1.0, 1.5]}, index=[0, 1])
    assert sorted(match_segments(crowded, previous, scale, max_distance=20.0).values()) == [
        "seg_01",
        "seg_02",
    ]
    distances = centroid_distances(current, previous, scale)
    assert distances.shape == (4, 3) and distances.at[2, "seg_03"] == pytest.approx(35.0)


def test_previous_centroids_read_from_segment_table(first) -> None:
    _, previous = first
    centroids = previous_centroids(previous.segments)
    assert list(centroids.index) == [f"seg_{i:02d}" for i in range(1, 7)]
    assert "monetary_usd" in centroids.columns and centroids.notna().all().all()


def test_new_ids_continue_after_the_highest_known_id() -> None:
    assert new_segment_ids(2, ["seg_01", "seg_07", "fallback_new"]) == ["seg_08", "seg_09"]
    assert new_segment_ids(1, []) == ["seg_01"]
