"""Fitting the hybrid recommender: id axes, interactions, exclusions, popularity and the two models."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

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
from tailor.recommend.hybrid_params import HybridParams
from tailor.recommend.popularity import (
    item_popularity,
    segment_popularity,
)


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
