"""The popularity fallback: segment and global popularity ranked for a block of persons."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tailor.recommend.fitting import FittedRecommender
from tailor.recommend.hybrid_params import HybridParams
from tailor.recommend.scoring_plan import ScoringPlan
from tailor.recommend.tiers import (
    GLOBAL_POPULARITY,
    NO_SOURCE,
    SEGMENT_POPULARITY,
    SEGMENT_TIER,
)


def popularity_ranked(
    fitted: FittedRecommender,
    params: HybridParams,
    plan: ScoringPlan,
    persons: np.ndarray,
    segment_ok: np.ndarray,
) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]:
    """Recommendations of persons without a personal model: per group of persons with the same popularity
    keys (their segment's, else global), (positions in `persons`, (cols, score, confidence, source)).

    The same keys and order as the scoring block (segment tier above global, keys unique within a row), so
    the same items: the group's ranked list, long enough to skip each person's exclusions, is all that is
    read; no persons x items block is built.
    """
    groups = np.where(segment_ok[persons], fitted.person_segment[persons], -1)
    for group in np.unique(groups):
        positions = np.flatnonzero(groups == group)
        keys = plan.global_keys
        if group >= 0:
            keys = np.maximum(plan.segment_keys[group] + np.float32(SEGMENT_TIER), plan.global_keys)
        finite = np.flatnonzero(np.isfinite(keys))
        ranked = finite[np.argsort(-keys[finite], kind="stable")]
        excluded = fitted.exclusions[persons[positions]]
        length = min(plan.k + int(np.diff(excluded.indptr).max(initial=0)), ranked.size)
        candidates = ranked[:length]
        slot_of = np.full(plan.width, -1, dtype=np.int64)
        slot_of[candidates] = np.arange(length)
        banned = excluded.tocoo()
        slots = slot_of[banned.col]
        is_banned = np.zeros((positions.size, length), dtype=bool)
        is_banned[banned.row[slots >= 0], slots[slots >= 0]] = True
        # unbanned slots first, in ranked order; at most k of them
        picked = np.argsort(is_banned, axis=1, kind="stable")[:, : plan.k]
        cols = np.zeros((positions.size, plan.k), dtype=np.int32)
        cols[:, : picked.shape[1]] = candidates[picked]
        valid = np.zeros(cols.shape, dtype=bool)
        valid[:, : picked.shape[1]] = ~np.take_along_axis(is_banned, picked, axis=1)
        is_segment = keys[cols] >= SEGMENT_TIER  # never for the global group: its keys are below 1
        segment_score = plan.segment_norm[group][cols] if group >= 0 else 0.0
        score = np.where(is_segment, segment_score, plan.global_norm[cols])
        source = np.where(is_segment, SEGMENT_POPULARITY, GLOBAL_POPULARITY).astype(np.int8)
        # invalid slots (fewer eligible items than k) keep NO_SOURCE and are left out of the output
        yield positions, (cols, score, params.popularity_confidence * score, np.where(valid, source, NO_SOURCE))
