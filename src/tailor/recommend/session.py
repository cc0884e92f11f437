"""Recommendations for a visitor the warehouse has not seen yet: fold a few fresh interactions in against the
published item factors and score them with the batch chain's own code.

A `SessionScorer` is built once per published version from the serving tables (`tailor.recommend.serving`):
a `FittedRecommender` with one placeholder person, the active items as candidates, the fitted item factors
and the global popularity. Each request only swaps in that person's folded-in factors (`recalculate_users`,
the exact ALS step with the fit's regularization and alpha), consent, history and exclusions, then calls
`recommend_from`: the same tiers, rules (inactive items never, purchases excluded, no consent: popularity
only, fewer than `min_cf_items` items: fallback) and scores as the batch. Item text is not published, so
the content part of the hybrid blend is left out: a folded-in visitor is served `collaborative`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tailor.recommend.collaborative import CFModel, recalculate_users, user_items_on_model_axis
from tailor.recommend.data import InteractionMatrix, build_interaction_matrix, exclusion_matrix, id_axis
from tailor.recommend.hybrid import FittedRecommender, recommend_from, with_cf_model
from tailor.recommend.settings import RecsSettings

SESSION_PERSON = "session"
PURCHASE_EVENT = "purchase"


@dataclass(frozen=True)
class SessionInteraction:
    """One fresh interaction of the visitor: an item and an event type of the event-weights seed."""

    item_id: str
    event_type: str


@dataclass(frozen=True)
class SessionScorer:
    """Everything a session request needs, built once per published version."""

    base: FittedRecommender
    catalog_ids: np.ndarray
    settings: RecsSettings
    event_weights: Mapping[str, float]


def session_scorer(
    items: pd.DataFrame, recs_options: str | Mapping[str, str], event_weights: str | Mapping[str, float], as_of: object
) -> SessionScorer:
    """A scorer from the published `dim_recommendation_items` rows and `dim_recommendation_model` values."""
    options = json.loads(recs_options) if isinstance(recs_options, str) else dict(recs_options)
    weights = json.loads(event_weights) if isinstance(event_weights, str) else dict(event_weights)
    settings = RecsSettings.from_mapping(options)
    items = items.drop_duplicates("item_id").sort_values("item_id", kind="stable")
    catalog_ids = id_axis(items["item_id"])
    is_active = items["is_active"].fillna(False).astype(bool).to_numpy()
    candidates = catalog_ids[is_active]
    known = items["factors"].notna().to_numpy()
    width = len(items.loc[known, "factors"].iloc[0]) if known.any() else settings.cf.factors
    item_factors = (
        np.stack([np.asarray(v, dtype=np.float32) for v in items.loc[known, "factors"]])
        if known.any()
        else np.zeros((0, width), dtype=np.float32)
    )
    person = np.array([SESSION_PERSON], dtype=object)
    nobody = InteractionMatrix(sp.csr_matrix((1, len(catalog_ids)), dtype=np.float32), person, catalog_ids)
    base = FittedRecommender(
        person_ids=person,
        has_consent=np.zeros(1, dtype=bool),
        person_segment=np.full(1, -1, dtype=np.int64),
        segment_ids=np.zeros(0, dtype=object),
        history_length=np.zeros(1, dtype=np.int64),
        item_ids=candidates,
        training=nobody,
        exclusions=sp.csr_matrix((1, len(candidates)), dtype=bool),
        global_popularity=items["popularity"].to_numpy(dtype=np.float64)[is_active],
        segment_popularity=np.zeros((0, len(candidates))),
        as_of=pd.Timestamp(as_of, tz="UTC") if pd.Timestamp(as_of).tzinfo is None else pd.Timestamp(as_of),
    )
    model = CFModel(
        user_factors=np.zeros((1, width), dtype=np.float32),
        item_factors=item_factors,
        user_ids=person,
        item_ids=catalog_ids[known],
        params=settings.cf,
    )
    return SessionScorer(with_cf_model(base, model), catalog_ids, settings, weights)


def session_frame(scorer: SessionScorer, interactions: Sequence[SessionInteraction]) -> pd.DataFrame:
    """The visitor's interactions as the recommender's input rows (weights from the seed, purchases now)."""
    unknown = sorted({i.event_type for i in interactions} - set(scorer.event_weights))
    if unknown:
        raise ValueError(f"unknown event_type {unknown[0]!r}; expected one of {sorted(scorer.event_weights)}")
    is_purchase = [i.event_type == PURCHASE_EVENT for i in interactions]
    now = scorer.base.as_of
    return pd.DataFrame(
        {
            "person_id": [SESSION_PERSON] * len(interactions),
            "item_id": [i.item_id for i in interactions],
            "weight": [float(scorer.event_weights[i.event_type]) for i in interactions],
            "last_interaction_at": [now] * len(interactions),
            "has_purchased": is_purchase,
            "last_purchased_at": [now if bought else pd.NaT for bought in is_purchase],
        }
    )


def recommend_session(
    scorer: SessionScorer, interactions: Sequence[SessionInteraction], has_consent: bool, n: int
) -> pd.DataFrame:
    """Top-n for one visitor: person_id, rank, item_id, score, confidence, rec_source (see module doc).

    Without personalization consent the interactions never reach the model (popularity only), but
    purchases are still excluded, as the batch does for opted-out persons."""
    base = scorer.base
    frame = session_frame(scorer, interactions)
    person = base.person_ids
    everyone = build_interaction_matrix(frame, user_ids=person, item_ids=scorer.catalog_ids)
    # only a consenting visitor's behaviour reaches the model, as only consenting persons' trains it
    training = everyone if has_consent else replace(everyone, matrix=sp.csr_matrix(everyone.shape, dtype=np.float32))
    hybrid = replace(scorer.settings.hybrid, n=n)
    exclusions = exclusion_matrix(
        frame,
        person,
        base.item_ids,
        as_of=base.as_of,
        purchase_window_days=hybrid.purchase_exclusion_days,
        exclude_seen=hybrid.exclude_seen,
    )
    if not (has_consent or hybrid.exclude_purchases_for_opted_out):
        exclusions = sp.csr_matrix(exclusions.shape, dtype=bool)
    folded = recalculate_users(base.cf, user_items_on_model_axis(base.cf, training))
    fitted = replace(
        base,
        has_consent=np.array([has_consent]),
        history_length=np.diff(training.matrix.indptr),
        training=training,
        exclusions=exclusions,
        cf=replace(base.cf, user_factors=folded),
        cf_person_row=np.array([0 if folded.any() else -1]),
    )
    return recommend_from(fitted, hybrid)
