"""One segmentation run end to end: fallbacks, features, clusters, names, rules, ids, drift and checks.

`run_segmentation` is what the dbt Python models call; it returns the three output tables (segments,
membership, drift) plus the fitted model for scoring new persons between retrains (`assign_segments`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from tailor.segments.cluster import ClusterResult, assign_nearest, fit_clusters
from tailor.segments.config import FALLBACK_NAMES, SegmentConfig
from tailor.segments.fallback import fallback_rule_text, fallback_segments
from tailor.segments.naming import NAME_RULES, keeps_previous_name, name_segments
from tailor.segments.prepare import FeaturePreparation, fit_preparation, prepare_features, transform_features
from tailor.segments.profile import (
    PopulationStats,
    centroid_summary,
    original_frame,
    population_stats,
    segment_means,
    top_features,
    top_features_text,
    zscores,
)
from tailor.segments.quality import CheckResult, quality_checks
from tailor.segments.rules import SegmentRules, fit_segment_rules
from tailor.segments.stability import drift_table, match_segments, new_segment_ids, previous_centroids

SEGMENT_COLUMNS = [
    "segment_id",
    "segment_name",
    "is_fallback",
    "size",
    "share",
    "centroid_json",
    "top_features",
    "rules",
    "rule_precision",
    "rule_recall",
    "tree_agreement",
    "name_rule",
    "created_at",
    "retrained_at",
]
MEMBERSHIP_COLUMNS = ["person_id", "segment_id", "segment_name", "is_fallback", "distance_to_centroid"]


@dataclass(frozen=True)
class SegmentationModel:
    """What is needed to place new persons into this run's segments without refitting."""

    preparation: FeaturePreparation
    centroids: np.ndarray
    segment_ids: tuple[str, ...]
    segment_names: tuple[str, ...]
    config: SegmentConfig


@dataclass(frozen=True)
class SegmentationResult:
    """The output tables of a run plus the intermediate pieces worth inspecting or testing."""

    segments: pd.DataFrame
    membership: pd.DataFrame
    drift: pd.DataFrame
    checks: list[CheckResult]
    top_features: pd.DataFrame
    model: SegmentationModel
    clusters: ClusterResult
    rules: SegmentRules
    matched: dict[int, str]


def _sorted_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    if "person_id" not in profiles.columns:
        raise ValueError("profiles need a person_id column")
    if profiles["person_id"].isna().any():
        raise ValueError("profiles contain null person_id")
    if profiles["person_id"].duplicated().any():
        raise ValueError("profiles must have one row per person_id")
    return profiles.sort_values("person_id", kind="stable").reset_index(drop=True)


def _previous_rule_key(row: pd.Series) -> str | None:
    """The naming rule behind a previous name: the stored key, else the rule whose name it starts with."""
    stored = row.get("name_rule")
    if isinstance(stored, str) and stored:
        return stored
    name = str(row["segment_name"])
    candidates = [rule for rule in NAME_RULES if name.startswith(rule.name)]
    return max(candidates, key=lambda rule: len(rule.name)).key if candidates else None


def _carried_names(
    matched: dict[int, str], previous: pd.DataFrame | None, z: pd.DataFrame, hysteresis: float
) -> dict[int, tuple[str, str]]:
    """Previous names kept by matched clusters whose defining trait still holds (see keeps_previous_name)."""
    if previous is None or not matched:
        return {}
    by_id = previous.set_index("segment_id")
    fixed = {}
    for label, segment_id in matched.items():
        row = by_id.loc[segment_id]
        key = _previous_rule_key(row)
        if key is not None and keeps_previous_name(key, z.loc[label].to_dict(), hysteresis):
            fixed[label] = (str(row["segment_name"]), key)
    return fixed


def _timestamp(value: datetime | pd.Timestamp | str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _cluster_rows(
    labels_to_ids: dict[int, str],
    names: pd.DataFrame,
    means: pd.DataFrame,
    stats: PopulationStats,
    rules: SegmentRules,
    top_text: dict[int, str],
    n_total: int,
    sizes: np.ndarray,
) -> list[dict]:
    summary = centroid_summary(means, stats)
    return [
        {
            "segment_id": labels_to_ids[label],
            "segment_name": names.at[label, "segment_name"],
            "is_fallback": False,
            "size": int(sizes[label]),
            "share": sizes[label] / n_total,
            "centroid_json": json.dumps(summary[label], sort_keys=True),
            "top_features": top_text[label],
            "rules": rules.text_by_label[label],
            "rule_precision": rules.precision_by_label[label],
            "rule_recall": rules.recall_by_label[label],
            "tree_agreement": rules.agreement,
            "name_rule": names.at[label, "name_rule"],
        }
        for label in sorted(labels_to_ids)
    ]


def _fallback_rows(
    profiles: pd.DataFrame, fallback: pd.Series, stats: PopulationStats, config: SegmentConfig
) -> list[dict]:
    rows = []
    for segment_id, name in FALLBACK_NAMES.items():
        members = profiles[(fallback == segment_id).fillna(False).to_numpy(dtype=bool)]
        summary = "{}"
        if len(members):
            means = segment_means(
                original_frame(members, stats.mean.index), np.zeros(len(members), int), stats
            )
            summary = json.dumps(centroid_summary(means, stats)[0], sort_keys=True)
        rows.append(
            {
                "segment_id": segment_id,
                "segment_name": name,
                "is_fallback": True,
                "size": len(members),
                "share": len(members) / max(len(profiles), 1),
                "centroid_json": summary,
                "top_features": "",
                "rules": fallback_rule_text(segment_id, config),
                "rule_precision": np.nan,
                "rule_recall": np.nan,
                "tree_agreement": np.nan,
                "name_rule": segment_id,
            }
        )
    return rows


def _with_timestamps(
    segments: pd.DataFrame, previous: pd.DataFrame | None, retrained_at: pd.Timestamp | None
) -> pd.DataFrame:
    created = {}
    if previous is not None and "created_at" in previous.columns:
        created = previous.set_index("segment_id")["created_at"].to_dict()
    segments["created_at"] = [
        created.get(segment_id) if pd.notna(created.get(segment_id)) else retrained_at
        for segment_id in segments["segment_id"]
    ]
    segments["retrained_at"] = retrained_at
    return segments


def _membership(
    profiles: pd.DataFrame,
    fallback: pd.Series,
    cluster_ids: np.ndarray,
    distances: np.ndarray,
    names: dict[str, str],
) -> pd.DataFrame:
    is_fallback = fallback.notna().to_numpy()
    segment_id = fallback.to_numpy(dtype=object, na_value=None).copy()
    segment_id[~is_fallback] = cluster_ids
    distance = np.full(len(profiles), np.nan)
    distance[~is_fallback] = distances
    return pd.DataFrame(
        {
            "person_id": profiles["person_id"].to_numpy(),
            "segment_id": segment_id,
            "segment_name": [names[s] for s in segment_id],
            "is_fallback": is_fallback,
            "distance_to_centroid": distance,
        }
    )[MEMBERSHIP_COLUMNS]


def _fallback_only_result(
    profiles: pd.DataFrame,
    fallback: pd.Series,
    config: SegmentConfig,
    previous_segments: pd.DataFrame | None,
    retrained_at: datetime | pd.Timestamp | str | None,
) -> SegmentationResult:
    """Everyone is a fallback (e.g. a brand-new install): publish the fallback segments, fit nothing."""
    preparation = fit_preparation(profiles.iloc[:0], None, config)
    stats = population_stats(original_frame(profiles, [f.name for f in config.numeric_features]))
    segments = pd.DataFrame(_fallback_rows(profiles, fallback, stats, config))
    segments = segments.sort_values("segment_id", kind="stable").reset_index(drop=True)
    previous = previous_segments if previous_segments is not None and not previous_segments.empty else None
    segments = _with_timestamps(segments, previous, _timestamp(retrained_at))[SEGMENT_COLUMNS]
    membership = _membership(profiles, fallback, np.array([], dtype=object), np.array([]), FALLBACK_NAMES)
    empty = np.zeros((0, 0))
    rules = SegmentRules({}, (), float("nan"), {}, {}, ())
    return SegmentationResult(
        segments=segments,
        membership=membership,
        drift=drift_table(segments, previous, config.psi_epsilon),
        checks=quality_checks(segments, config),
        top_features=pd.DataFrame(
            columns=["segment_id", "rank", "feature", "segment_mean", "population_mean", "z"]
        ),
        model=SegmentationModel(preparation, empty, (), (), config),
        clusters=ClusterResult(np.zeros(0, dtype=np.int64), empty, 0, config.method, {}),
        rules=rules,
        matched={},
    )


def run_segmentation(
    profiles: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    *,
    config: SegmentConfig | None = None,
    previous_segments: pd.DataFrame | None = None,
    retrained_at: datetime | pd.Timestamp | str | None = None,
    known_segment_ids: Iterable[str] = (),
) -> SegmentationResult:
    """Segment one profile snapshot; pass the previous run's segment table to keep ids and names stable.

    `profiles`: one row per person_id (profile mart columns, any may be missing); `interactions`:
    person_id, category, weight. `retrained_at` is stamped on the output (no wall clock is read).
    `known_segment_ids`: ids retired in earlier runs (e.g. from a snapshot), so new ids never reuse them.
    """
    config = config or SegmentConfig()
    profiles = _sorted_profiles(profiles)
    fallback = fallback_segments(profiles, config)
    fit = profiles[fallback.isna().to_numpy()].reset_index(drop=True)
    if fit.empty:
        return _fallback_only_result(profiles, fallback, config, previous_segments, retrained_at)
    prepared, preparation = prepare_features(fit, interactions, config)
    clusters = fit_clusters(prepared.matrix, config)
    labels = clusters.labels

    values = original_frame(fit, [feature.name for feature in preparation.numeric])
    stats = population_stats(values, config.winsor_quantile)
    means = segment_means(values, labels, stats)
    z = zscores(means, stats)

    previous = previous_segments if previous_segments is not None and not previous_segments.empty else None
    matched = (
        match_segments(means, previous_centroids(previous), stats.std, config.max_match_distance)
        if previous is not None
        else {}
    )
    fixed = _carried_names(matched, previous, z, config.name_hysteresis)
    names = name_segments(z, fixed, taken=FALLBACK_NAMES.values())
    unmatched = [label for label in range(clusters.k) if label not in matched]
    known_ids = [
        *map(str, known_segment_ids),
        *(previous["segment_id"].astype(str) if previous is not None else []),
    ]
    labels_to_ids = {
        **matched,
        **dict(zip(unmatched, new_segment_ids(len(unmatched), known_ids), strict=True)),
    }

    rules = fit_segment_rules(values, labels, config)
    top = top_features(means, stats, config.top_n_features)
    sizes = np.bincount(labels, minlength=clusters.k)
    rows = _cluster_rows(
        labels_to_ids, names, means, stats, rules, top_features_text(top), len(profiles), sizes
    )
    rows += _fallback_rows(profiles, fallback, stats, config)
    segments = pd.DataFrame(rows)
    segments = segments.sort_values(["is_fallback", "segment_id"], kind="stable").reset_index(drop=True)
    segments = _with_timestamps(segments, previous, _timestamp(retrained_at))[SEGMENT_COLUMNS]

    distances = np.linalg.norm(prepared.matrix - clusters.centroids[labels], axis=1)
    cluster_ids = np.array([labels_to_ids[label] for label in range(clusters.k)], dtype=object)[labels]
    name_of = dict(zip(segments["segment_id"], segments["segment_name"], strict=True))
    membership = _membership(profiles, fallback, cluster_ids, distances, name_of)

    top.insert(0, "segment_id", top["label"].map(labels_to_ids))
    model = SegmentationModel(
        preparation=preparation,
        centroids=clusters.centroids,
        segment_ids=tuple(labels_to_ids[label] for label in range(clusters.k)),
        segment_names=tuple(names.at[label, "segment_name"] for label in range(clusters.k)),
        config=config,
    )
    return SegmentationResult(
        segments=segments,
        membership=membership,
        drift=drift_table(segments, previous, config.psi_epsilon),
        checks=quality_checks(segments, config),
        top_features=top.drop(columns="label"),
        model=model,
        clusters=clusters,
        rules=rules,
        matched=matched,
    )


def assign_segments(
    model: SegmentationModel, profiles: pd.DataFrame, interactions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Membership for new or refreshed persons against a fitted run, without refitting (nearest centroid)."""
    profiles = _sorted_profiles(profiles)
    fallback = fallback_segments(profiles, model.config)
    fit = profiles[fallback.isna().to_numpy()].reset_index(drop=True)
    prepared = transform_features(model.preparation, fit, interactions)
    labels, distances = (
        assign_nearest(prepared.matrix, model.centroids) if len(fit) else (np.zeros(0, int), [])
    )
    cluster_ids = np.array(model.segment_ids, dtype=object)[labels]
    names = {**dict(zip(model.segment_ids, model.segment_names, strict=True)), **FALLBACK_NAMES}
    return _membership(profiles, fallback, cluster_ids, np.asarray(distances, dtype=float), names)
