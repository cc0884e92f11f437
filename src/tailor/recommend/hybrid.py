"""Hybrid recommendations for every person: blended collaborative + content scores with a fallback chain.

Tiers, best first: a personal model (hybrid, collaborative or content) -> segment popularity -> global
popularity. All tiers are scored together per block of persons as one key matrix whose value ranges do
not overlap (model 2..3, segment 1..2, global 0..1), so a single top-k per block picks model items first
and fills the rest of the N slots from popularity, with no per-person Python loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from tailor.frames import take_strings
from tailor.recommend.collaborative import CFModel, CFParams, fit_cf
from tailor.recommend.content import ContentModel, ContentParams, fit_content, item_vectors_for, weighted_profiles
from tailor.recommend.data import (
    InteractionMatrix,
    build_interaction_matrix,
    exclusion_matrix,
    id_axis,
    index_of,
    reindex_users,
    resolve_as_of,
)
from tailor.recommend.popularity import (
    PopularityMetric,
    item_popularity,
    normalized_popularity,
    rank_keys,
    segment_popularity,
)
from tailor.recommend.threads import one_blas_thread
from tailor.recommend.topk import DEFAULT_BLOCK_SIZE, iter_blocks, plan_chunk, top_k_rows, transposed

REC_SOURCES: tuple[str, ...] = ("hybrid", "collaborative", "content", "segment_popularity", "global_popularity")
HYBRID, COLLABORATIVE, CONTENT, SEGMENT_POPULARITY, GLOBAL_POPULARITY = range(5)
NO_SOURCE = -1
MODEL_TIER, SEGMENT_TIER = 2.0, 1.0
# A scoring block (persons x candidates, float32) and its temporaries stay small: under glibc's 32 MiB
# mmap threshold they are reused from the heap instead of page-faulted fresh on every block, and they
# mostly stay in a 32 MiB L3 cache. Measured at both m and l catalog widths: 8 MiB scores persons 20-25%
# faster than 64 MiB (same rows); 3-6 MiB is no faster.
BLOCK_BUDGET_BYTES = 8 * 1024 * 1024
OUTPUT_COLUMNS: tuple[str, ...] = ("person_id", "rank", "item_id", "score", "confidence", "rec_source")


@dataclass(frozen=True)
class HybridParams:
    """Blend, fallback, exclusion and confidence settings for `recommend`.

    cf_weight / content_weight: blend of per-person normalised scores (0 disables a model).
    min_cf_items: fewer distinct items than this and a person is served by content only.
    purchase_exclusion_days: purchased items within this many days before as_of are never recommended
    (None: any past purchase). history_scale: confidence reaches 63% at this many distinct items.
    """

    n: int = 20
    cf_weight: float = 0.7
    content_weight: float = 0.3
    use_segment_popularity: bool = True
    min_cf_items: int = 3
    normalization: Literal["minmax", "rank"] = "minmax"
    purchase_exclusion_days: float | None = None
    exclude_seen: bool = False
    exclude_purchases_for_opted_out: bool = True
    popularity_metric: PopularityMetric = "users"
    history_scale: float = 5.0
    popularity_confidence: float = 0.3
    block_size: int = DEFAULT_BLOCK_SIZE


@dataclass(frozen=True)
class FittedRecommender:
    """Everything scoring needs, on sorted axes: persons (rows) and active catalog items (candidates)."""

    person_ids: np.ndarray
    has_consent: np.ndarray
    person_segment: np.ndarray
    segment_ids: np.ndarray
    history_length: np.ndarray
    item_ids: np.ndarray
    training: InteractionMatrix
    exclusions: sp.csr_matrix
    global_popularity: np.ndarray
    segment_popularity: np.ndarray
    as_of: pd.Timestamp
    # everyone's distinct users per candidate and in all (evaluation's novelty reads them)
    candidate_user_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    interacting_users: int = 0
    cf: CFModel | None = None
    cf_person_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cf_item_factors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    cf_item_known: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    content: ContentModel | None = None
    # content profiles are built per block of persons (`content_profiles`), never for everyone at once:
    # training items' vectors and whether each person has a non-empty profile are all that is kept
    content_training_vectors: sp.csr_matrix | None = None
    has_content_profile: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    content_item_vectors: sp.csr_matrix | None = None


def _catalog_axes(catalog: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(all catalog item ids, active item ids); a missing is_active column means all active, null means not."""
    items = catalog.drop_duplicates("item_id")
    all_items = id_axis(items["item_id"])
    if "is_active" in items:
        active = items.loc[items["is_active"].fillna(False).astype(bool), "item_id"]
    else:
        active = items["item_id"]
    return all_items, id_axis(active)


def _person_axes(persons: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(person ids, consent flags, segment index per person (-1 none), segment ids), sorted by person id."""
    frame = persons.drop_duplicates("person_id").assign(person_id=lambda f: f["person_id"].astype(str))
    frame = frame.sort_values("person_id", kind="stable")
    person_ids = frame["person_id"].to_numpy(dtype=object)
    consent = frame["has_personalization_consent"].fillna(False).astype(bool).to_numpy()
    segments = frame["segment_id"] if "segment_id" in frame else pd.Series([None] * len(frame), dtype=object)
    segment_ids = id_axis(segments)
    person_segment = index_of(segment_ids, segments.reset_index(drop=True))
    return person_ids, consent, person_segment, segment_ids


def fit_recommender(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    cf_params: CFParams | None = None,
    content_params: ContentParams | None = None,
    params: HybridParams | None = None,
    as_of: object | None = None,
) -> FittedRecommender:
    """Fit every tier once: CF and content on consenting persons only, popularity, exclusions.

    Persons without personalization consent (or missing from `persons`) never feed a personal model or
    segment popularity; their behaviour only counts towards global popularity, an aggregate.
    """
    params = params or HybridParams()
    as_of = resolve_as_of(interactions, as_of)
    catalog_items, candidates = _catalog_axes(catalog)
    person_ids, consent, person_segment, segment_ids = _person_axes(persons)

    everyone = build_interaction_matrix(interactions, item_ids=catalog_items)
    # only consenting persons' behaviour trains personal models and segment popularity
    training = reindex_users(reindex_users(everyone, person_ids[consent]), person_ids)
    candidate_cols = index_of(catalog_items, pd.Series(candidates, dtype=object))

    exclusions = exclusion_matrix(
        interactions,
        person_ids,
        candidates,
        as_of=as_of,
        purchase_window_days=params.purchase_exclusion_days,
        exclude_seen=params.exclude_seen,
    )
    if not params.exclude_purchases_for_opted_out:
        exclusions = (sp.diags(consent.astype(np.float32)) @ exclusions.astype(np.float32)).astype(bool).tocsr()

    fitted = FittedRecommender(
        person_ids=person_ids,
        has_consent=consent,
        person_segment=person_segment,
        segment_ids=segment_ids,
        history_length=np.diff(training.matrix.indptr),
        item_ids=candidates,
        training=training,
        exclusions=exclusions,
        global_popularity=item_popularity(everyone.matrix, params.popularity_metric)[candidate_cols],
        candidate_user_counts=item_popularity(everyone.matrix, "users")[candidate_cols],
        interacting_users=everyone.matrix.shape[0],
        segment_popularity=segment_popularity(
            training.matrix,
            np.where(consent, person_segment, -1),
            len(segment_ids),
            params.popularity_metric,
        )[:, candidate_cols],
        as_of=as_of,
    )
    if params.cf_weight > 0:
        fitted = with_cf_model(fitted, fit_cf(training, cf_params))
    if params.content_weight > 0:
        fitted = with_content_model(fitted, fit_content(catalog, content_params))
    return fitted


def with_cf_model(fitted: FittedRecommender, model: CFModel) -> FittedRecommender:
    """Attach (or swap) a collaborative model, aligned to the fitted person and candidate axes."""
    positions = index_of(model.item_ids, pd.Series(fitted.item_ids, dtype=object))
    known = positions >= 0
    factors = np.zeros((len(fitted.item_ids), model.item_factors.shape[1]), dtype=np.float32)
    factors[known] = model.item_factors[positions[known]]
    return replace(
        fitted,
        cf=model,
        cf_person_row=index_of(model.user_ids, pd.Series(fitted.person_ids, dtype=object)),
        cf_item_factors=factors,
        cf_item_known=known,
    )


def with_content_model(fitted: FittedRecommender, model: ContentModel) -> FittedRecommender:
    """Attach (or swap) a content model: the training items' vectors (person profiles are their weighted
    sums, built per block), which persons have a profile, and the candidate item vectors."""
    training_vectors = item_vectors_for(model, fitted.training.item_ids)
    # weights and TF-IDF values are positive, so a profile is non-empty exactly when the person has a
    # training item with any feature
    has_features = (np.diff(training_vectors.indptr) > 0).astype(np.float32)
    return replace(
        fitted,
        content=model,
        content_training_vectors=training_vectors,
        has_content_profile=(fitted.training.matrix @ has_features) > 0,
        content_item_vectors=item_vectors_for(model, fitted.item_ids),
    )


def content_profiles(fitted: FittedRecommender, persons: np.ndarray) -> sp.csr_matrix:
    """Content profiles of the given person rows (`content.user_profiles` restricted to them)."""
    return weighted_profiles(fitted.training.matrix[persons], fitted.content_training_vectors)


def person_sources(fitted: FittedRecommender, params: HybridParams) -> np.ndarray:
    """Personal-model source per person (HYBRID, COLLABORATIVE, CONTENT or NO_SOURCE) under `params`."""
    consent = fitted.has_consent
    cf_ok = consent & (params.cf_weight > 0) & (fitted.cf is not None)
    if fitted.cf is not None:
        cf_ok &= (fitted.cf_person_row >= 0) & (fitted.history_length >= max(params.min_cf_items, 1))
    content_ok = consent & (params.content_weight > 0) & (fitted.content_training_vectors is not None)
    if fitted.content_training_vectors is not None:
        content_ok &= fitted.has_content_profile
    sources = np.full(len(fitted.person_ids), NO_SOURCE, dtype=np.int8)
    sources[content_ok] = CONTENT
    sources[cf_ok] = COLLABORATIVE
    sources[cf_ok & content_ok] = HYBRID
    return sources


def _normalize_rows(block: np.ndarray, invalid_cols: np.ndarray, method: str) -> None:
    """In place: per-row min-max (or average rank) scaling to [0, 1] over valid columns; invalid -> -inf."""
    if block.shape[0] == 0:
        return
    if method == "rank":
        block[:, invalid_cols] = -np.inf
        n_valid = block.shape[1] - len(invalid_cols)
        ranks = rankdata(block, axis=1, method="average") - len(invalid_cols) - 1.0
        block[:] = ranks / max(n_valid - 1, 1)
    elif method == "minmax":
        block[:, invalid_cols] = np.inf
        low = block.min(axis=1, keepdims=True)
        block[:, invalid_cols] = -np.inf
        span = block.max(axis=1, keepdims=True) - low
        block -= low
        block /= np.where(span > 0, span, 1.0)
    else:
        raise ValueError(f"unknown normalization {method!r}; expected 'minmax' or 'rank'")
    block[:, invalid_cols] = -np.inf


@dataclass(frozen=True)
class _ScoringPlan:
    """Per-call constants of the block loop (padded widths, transposed item matrices, tier keys)."""

    k: int
    chunk: int
    width: int
    pad_cols: np.ndarray
    cf_invalid_cols: np.ndarray
    cf_items_t: np.ndarray | None
    content_items: sp.csr_matrix | None
    rows_per_block: int
    global_keys: np.ndarray
    global_norm: np.ndarray
    segment_keys: np.ndarray
    segment_norm: np.ndarray


def _plan(fitted: FittedRecommender, params: HybridParams) -> _ScoringPlan:
    n_items = len(fitted.item_ids)
    k = min(params.n, n_items)
    chunk, width = plan_chunk(n_items, k)
    pad_cols = np.arange(n_items, width)

    def padded(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((values.shape[0], width), fill, dtype=np.float32)
        out[:, :n_items] = values
        return out

    cf_items_t = None
    if fitted.cf is not None:
        cf_items_t = np.zeros((fitted.cf_item_factors.shape[1], width), dtype=np.float32)
        cf_items_t[:, :n_items] = fitted.cf_item_factors.T
    content_items = None
    n_features = 0
    if fitted.content_item_vectors is not None:
        vectors = fitted.content_item_vectors
        n_features = vectors.shape[1]
        content_items = sp.vstack([vectors, sp.csr_matrix((width - n_items, n_features), dtype=np.float32)]).tocsr()
    rows_per_block = max(1, min(params.block_size, BLOCK_BUDGET_BYTES // (4 * max(width, n_features))))
    return _ScoringPlan(
        k=k,
        chunk=chunk,
        width=width,
        pad_cols=pad_cols,
        cf_invalid_cols=np.concatenate([np.flatnonzero(~fitted.cf_item_known), pad_cols])
        if fitted.cf is not None
        else pad_cols,
        cf_items_t=cf_items_t,
        content_items=content_items,
        rows_per_block=rows_per_block,
        global_keys=padded(rank_keys(fitted.global_popularity, require_positive=False), -np.inf)[0],
        global_norm=normalized_popularity(fitted.global_popularity)[0],
        segment_keys=padded(rank_keys(fitted.segment_popularity, require_positive=True), -np.inf)
        if len(fitted.segment_ids)
        else np.zeros((0, width), dtype=np.float32),
        segment_norm=normalized_popularity(fitted.segment_popularity)
        if len(fitted.segment_ids)
        else np.zeros((0, n_items)),
    )


def _content_scores(fitted: FittedRecommender, plan: _ScoringPlan, persons: np.ndarray) -> np.ndarray:
    """Cosine of person profiles with every candidate item, as a dense persons x width block."""
    # sparse items x dense profiles.T is one pass over the item vectors per block, far faster than a
    # sparse x sparse product whose result is nearly dense anyway
    profiles = content_profiles(fitted, persons).toarray()
    return transposed(np.asarray(plan.content_items @ profiles.T, dtype=np.float32))


def _model_block(
    fitted: FittedRecommender,
    params: HybridParams,
    plan: _ScoringPlan,
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
            _normalize_rows(scores, plan.cf_invalid_cols, params.normalization)
        if source == CONTENT:
            scores = _content_scores(fitted, plan, persons[rows])
            scores[scores <= 0] = -np.inf
            scores[:, plan.pad_cols] = -np.inf
        elif source == HYBRID:
            content = _content_scores(fitted, plan, persons[rows])
            _normalize_rows(content, plan.pad_cols, params.normalization)
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


def _popularity_ranked(
    fitted: FittedRecommender,
    params: HybridParams,
    plan: _ScoringPlan,
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
    plan = _plan(fitted, params)
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
    for positions, ranked in _popularity_ranked(fitted, params, plan, selected[popular], segment_ok):
        out_cols[popular[positions]], out_score[popular[positions]] = ranked[0], ranked[1]
        out_confidence[popular[positions]], out_source[popular[positions]] = ranked[2], ranked[3]
    # persons of one source side by side: most blocks then hold a single source (see `_model_block`)
    scored = np.flatnonzero(modelled)
    scored = scored[np.argsort(sources[selected[scored]], kind="stable")]

    def score_block(start: int, stop: int) -> None:
        positions = scored[start:stop]
        persons = selected[positions]
        block_sources = sources[persons]
        model = _model_block(fitted, params, plan, persons, block_sources)
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

        cols, values = top_k_rows(keys, plan.k, plan.chunk)
        tier_model = values >= MODEL_TIER
        tier_segment = (values >= SEGMENT_TIER) & ~tier_model
        tier_global = np.isfinite(values) & (values < SEGMENT_TIER)
        row_ids = np.broadcast_to(np.arange(len(persons))[:, None], cols.shape)

        model_scores = np.take_along_axis(model, cols, axis=1)
        safe_cols = np.minimum(cols, len(fitted.item_ids) - 1)
        seg_index = np.maximum(fitted.person_segment[persons], 0)[row_ids]
        segment_scores = (
            plan.segment_norm[seg_index, safe_cols] if len(fitted.segment_ids) else np.zeros(cols.shape)
        )
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
        out_cols[positions] = cols
        out_score[positions] = score
        out_confidence[positions] = confidence
        out_source[positions] = source

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


def recommend(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    cf_params: CFParams | None = None,
    content_params: ContentParams | None = None,
    params: HybridParams | None = None,
    as_of: object | None = None,
) -> pd.DataFrame:
    """Fit all tiers and return N recommendations for every person in `persons` (see `recommend_from`)."""
    fitted = fit_recommender(
        interactions,
        catalog,
        persons,
        cf_params=cf_params,
        content_params=content_params,
        params=params,
        as_of=as_of,
    )
    return recommend_from(fitted, params)
