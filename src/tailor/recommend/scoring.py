"""Scoring every person block by block: model scores, tier keys, one top-k per block, the output frame."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailor.frames import take_strings
from tailor.recommend.data import (
    index_of,
)
from tailor.recommend.fallback import popularity_ranked
from tailor.recommend.fitting import FittedRecommender, content_profiles
from tailor.recommend.hybrid_params import HybridParams
from tailor.recommend.normalize import normalize_rows
from tailor.recommend.scoring_plan import ScoringPlan, plan_scoring
from tailor.recommend.threads import one_blas_thread
from tailor.recommend.tiers import (
    COLLABORATIVE,
    CONTENT,
    GLOBAL_POPULARITY,
    HYBRID,
    MODEL_TIER,
    NO_SOURCE,
    REC_SOURCES,
    SEGMENT_POPULARITY,
    SEGMENT_TIER,
    person_sources,
)
from tailor.recommend.topk import iter_blocks, top_k_rows, transposed

OUTPUT_COLUMNS: tuple[str, ...] = ("person_id", "rank", "item_id", "score", "confidence", "rec_source")


def _content_scores(fitted: FittedRecommender, plan: ScoringPlan, persons: np.ndarray) -> np.ndarray:
    """Cosine of person profiles with every candidate item, as a dense persons x width block."""
    # sparse items x dense profiles.T is one pass over the item vectors per block, far faster than a
    # sparse x sparse product whose result is nearly dense anyway
    profiles = content_profiles(fitted, persons).toarray()
    return transposed(np.asarray(plan.content_items @ profiles.T, dtype=np.float32))


def _model_block(
    fitted: FittedRecommender,
    params: HybridParams,
    plan: ScoringPlan,
    persons: np.ndarray,
    sources: np.ndarray,
) -> np.ndarray:
    """Block x width personal-model scores in [0, 1]; -inf where the person's model has no score.

    hybrid: weighted blend of per-person normalised CF and content scores (items unknown to CF count as
    its lowest score, so new items stay reachable through content); collaborative: normalised CF;
    content: raw cosine, where 0 (no shared feature) is no evidence and leaves the slot to popularity.
    """
    block = None
    weight_sum = params.cf_weight + params.content_weight
    for source in (HYBRID, COLLABORATIVE, CONTENT):
        rows = np.flatnonzero(sources == source)
        if rows.size == 0:
            continue
        scores = None
        if source in (HYBRID, COLLABORATIVE):
            scores = fitted.cf.user_factors[fitted.cf_person_row[persons[rows]]] @ plan.cf_items_t
            normalize_rows(scores, plan.cf_invalid_cols, params.normalization)
        if source == CONTENT:
            scores = _content_scores(fitted, plan, persons[rows])
            scores[scores <= 0] = -np.inf
            scores[:, plan.pad_cols] = -np.inf
        elif source == HYBRID:
            content = _content_scores(fitted, plan, persons[rows])
            normalize_rows(content, plan.pad_cols, params.normalization)
            np.maximum(scores, 0.0, out=scores)
            scores *= np.float32(params.cf_weight / weight_sum)
            content *= np.float32(params.content_weight / weight_sum)
            scores += content  # pads: 0 + -inf
        if rows.size == len(persons):
            return scores  # a block of one source (the usual case, see `recommend_from`): no copy
        if block is None:
            block = np.full((len(persons), plan.width), -np.inf, dtype=np.float32)
        block[rows] = scores
    return block if block is not None else np.full((len(persons), plan.width), -np.inf, dtype=np.float32)


def _confidence_of_model(
    block: np.ndarray,
    scores: np.ndarray,
    history: np.ndarray,
    history_scale: float,
    finite_width: int | None = None,
) -> np.ndarray:
    """History factor (1 - exp(-items / scale)) x score separation ((s - mean) / (max - mean), clipped).

    Mean and max are over each row's finite entries. `finite_width`: the caller knows that exactly the
    first `finite_width` columns of every row are finite (a block of hybrid rows: every candidate scored,
    -inf only in the padding), so they are read as one slice instead of through a mask (about 3x faster).
    """
    if finite_width is not None and finite_width > 0:
        finite_part = block[:, :finite_width]
        mean = finite_part.sum(axis=1, keepdims=True, dtype=np.float64) / finite_width
        top = finite_part.max(axis=1, keepdims=True).astype(np.float64)
    else:
        finite = np.isfinite(block)
        count = finite.sum(axis=1, keepdims=True)
        total = np.sum(block, axis=1, keepdims=True, where=finite, dtype=np.float64)
        mean = total / np.maximum(count, 1)
        top = np.where(count > 0, np.max(block, axis=1, keepdims=True), 0.0)
    span = top - mean
    with np.errstate(invalid="ignore"):
        separation = np.where(span > 0, (scores - mean) / np.where(span > 0, span, 1.0), 1.0)
    history_factor = 1.0 - np.exp(-history / max(history_scale, 1e-9))
    return np.clip(np.nan_to_num(separation, neginf=0.0), 0.0, 1.0) * history_factor[:, None]


@dataclass(frozen=True)
class ScoredBlock:
    """The top-k of a block of persons (persons x k): item columns, scores, confidences and source codes."""

    cols: np.ndarray
    score: np.ndarray
    confidence: np.ndarray
    source: np.ndarray


def _tier_keys(
    fitted: FittedRecommender,
    plan: ScoringPlan,
    persons: np.ndarray,
    block_sources: np.ndarray,
    model: np.ndarray,
    segment_ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(keys of every tier for the block, its rows without a hybrid model): model scores + MODEL_TIER, the
    better of segment and global popularity below them, excluded items -inf."""
    keys = model + np.float32(MODEL_TIER)
    # a hybrid row scores every candidate, so its model keys (>= 2) outrank both popularity tiers:
    # only the other rows take popularity keys (same keys, two fewer passes over most of the block)
    fallback_rows = np.flatnonzero(block_sources != HYBRID)
    seg_rows = fallback_rows[segment_ok[persons[fallback_rows]]]
    if seg_rows.size:
        segment_keys = plan.segment_keys[fitted.person_segment[persons[seg_rows]]] + np.float32(SEGMENT_TIER)
        keys[seg_rows] = np.maximum(keys[seg_rows], segment_keys)
    if fallback_rows.size == len(persons):
        np.maximum(keys, plan.global_keys, out=keys)
    elif fallback_rows.size:
        keys[fallback_rows] = np.maximum(keys[fallback_rows], plan.global_keys)
    banned = fitted.exclusions[persons].tocoo()
    keys[banned.row, banned.col] = -np.inf
    return keys, fallback_rows


def _score_block(
    fitted: FittedRecommender,
    params: HybridParams,
    plan: ScoringPlan,
    persons: np.ndarray,
    block_sources: np.ndarray,
    segment_ok: np.ndarray,
) -> ScoredBlock:
    """One block of persons with a personal model: tier keys, one top-k, then each pick's score, confidence
    and source from the tier it came from."""
    model = _model_block(fitted, params, plan, persons, block_sources)
    keys, fallback_rows = _tier_keys(fitted, plan, persons, block_sources, model, segment_ok)
    cols, values = top_k_rows(keys, plan.k, plan.chunk)
    tier_model = values >= MODEL_TIER
    tier_segment = (values >= SEGMENT_TIER) & ~tier_model
    tier_global = np.isfinite(values) & (values < SEGMENT_TIER)
    row_ids = np.broadcast_to(np.arange(len(persons))[:, None], cols.shape)

    model_scores = np.take_along_axis(model, cols, axis=1)
    safe_cols = np.minimum(cols, len(fitted.item_ids) - 1)
    seg_index = np.maximum(fitted.person_segment[persons], 0)[row_ids]
    segment_scores = plan.segment_norm[seg_index, safe_cols] if len(fitted.segment_ids) else np.zeros(cols.shape)
    global_scores = plan.global_norm[safe_cols]
    score = np.select([tier_model, tier_segment, tier_global], [model_scores, segment_scores, global_scores])
    model_confidence = _confidence_of_model(
        model,
        model_scores,
        fitted.history_length[persons].astype(np.float64),
        params.history_scale,
        # a hybrid row blends CF (clipped at 0, so finite everywhere) and content (finite but in padding)
        finite_width=len(fitted.item_ids) if fallback_rows.size == 0 else None,
    )
    confidence = np.select(
        [tier_model, tier_segment | tier_global],
        [model_confidence, params.popularity_confidence * score],
    )
    source = np.select(
        [tier_model, tier_segment, tier_global],
        [np.broadcast_to(block_sources[:, None], cols.shape), SEGMENT_POPULARITY, GLOBAL_POPULARITY],
        default=NO_SOURCE,
    )
    return ScoredBlock(cols, score, confidence, source)


def recommend_from(
    fitted: FittedRecommender,
    params: HybridParams | None = None,
    person_ids: object | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Exactly `n` ranked recommendations per person (fewer only if fewer eligible items exist).

    Columns: person_id, rank (1..n), item_id, score and confidence (both in [0, 1]), rec_source.
    `person_ids` limits scoring to those persons (ids missing from the fitted persons are ignored).
    `threads` blocks of persons are scored at once (numpy and scipy release the GIL in the heavy steps);
    each block writes its own rows, so the result does not depend on it.
    """
    params = params or HybridParams()
    if person_ids is None:
        selected = np.arange(len(fitted.person_ids))
    else:
        positions = index_of(fitted.person_ids, pd.Series(list(person_ids), dtype=object))
        wanted = np.zeros(len(fitted.person_ids), dtype=bool)
        wanted[positions[positions >= 0]] = True
        selected = np.flatnonzero(wanted)
    plan = plan_scoring(fitted, params)
    if plan.k == 0 or selected.size == 0:
        nothing = np.zeros((0, 0))
        return _assemble(fitted, selected[:0], nothing.astype(np.int32), nothing, nothing, nothing.astype(np.int8))
    sources = person_sources(fitted, params)
    segment_ok = fitted.has_consent & (fitted.person_segment >= 0) & params.use_segment_popularity

    n_selected = selected.size
    out_cols = np.zeros((n_selected, plan.k), dtype=np.int32)
    out_score = np.zeros((n_selected, plan.k), dtype=np.float64)
    out_confidence = np.zeros((n_selected, plan.k), dtype=np.float64)
    out_source = np.full((n_selected, plan.k), NO_SOURCE, dtype=np.int8)

    # persons without a personal model get popularity only: ranked lists per segment, no scoring block
    modelled = sources[selected] != NO_SOURCE
    popular = np.flatnonzero(~modelled)
    for positions, ranked in popularity_ranked(fitted, params, plan, selected[popular], segment_ok):
        out_cols[popular[positions]], out_score[popular[positions]] = ranked[0], ranked[1]
        out_confidence[popular[positions]], out_source[popular[positions]] = ranked[2], ranked[3]
    # persons of one source side by side: most blocks then hold a single source (see `_model_block`)
    scored = np.flatnonzero(modelled)
    scored = scored[np.argsort(sources[selected[scored]], kind="stable")]

    def score_block(start: int, stop: int) -> None:
        positions = scored[start:stop]
        persons = selected[positions]
        block = _score_block(fitted, params, plan, persons, sources[persons], segment_ok)
        out_cols[positions], out_score[positions] = block.cols, block.score
        out_confidence[positions], out_source[positions] = block.confidence, block.source

    blocks = list(iter_blocks(scored.size, plan.rows_per_block))
    with one_blas_thread():
        if threads <= 1 or len(blocks) <= 1:
            for start, stop in blocks:
                score_block(start, stop)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                # list() re-raises the first error of any block
                list(pool.map(lambda block: score_block(*block), blocks))
    return _assemble(fitted, selected, out_cols, out_score, out_confidence, out_source)


def _assemble(
    fitted: FittedRecommender,
    selected: np.ndarray,
    cols: np.ndarray,
    score: np.ndarray,
    confidence: np.ndarray,
    source: np.ndarray,
) -> pd.DataFrame:
    valid = source >= 0
    rows, slots = np.nonzero(valid)
    source_names = np.asarray(REC_SOURCES, dtype=object)
    return pd.DataFrame(
        {
            "person_id": take_strings(fitted.person_ids, selected[rows]),
            "rank": (slots + 1).astype(np.int32),
            "item_id": take_strings(fitted.item_ids, cols[valid]),
            "score": np.clip(score[valid], 0.0, 1.0).astype(np.float64),
            "confidence": np.clip(confidence[valid], 0.0, 1.0).astype(np.float64),
            "rec_source": take_strings(source_names, source[valid]),
        }
    )
