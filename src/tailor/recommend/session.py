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

from tailor.recommend.collaborative import CFModel, recalculate_users, regularized_gram
from tailor.recommend.data import InteractionMatrix, id_axis
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
    """Everything a session request needs, built once per published version: the one-person recommender,
    the catalog axis with each item's column there, on the model's item axis and among the candidates."""

    base: FittedRecommender
    catalog_ids: np.ndarray
    settings: RecsSettings
    event_weights: Mapping[str, float]
    catalog_column: Mapping[str, int]
    model_column: np.ndarray  # per catalog column: its column on the model's item axis, -1 if unknown
    candidate_column: np.ndarray  # per catalog column: its column among the candidates, -1 if inactive
    gram: np.ndarray  # the fold-in solve's user-independent part (`regularized_gram`)


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
    model_position = {item: column for column, item in enumerate(model.item_ids)}
    candidate_position = {item: column for column, item in enumerate(candidates)}
    return SessionScorer(
        base=with_cf_model(base, model),
        catalog_ids=catalog_ids,
        settings=settings,
        event_weights=weights,
        catalog_column={item: column for column, item in enumerate(catalog_ids)},
        model_column=np.array([model_position.get(item, -1) for item in catalog_ids], dtype=np.int64),
        candidate_column=np.array([candidate_position.get(item, -1) for item in catalog_ids], dtype=np.int64),
        gram=regularized_gram(model),
    )


def _check_event_types(scorer: SessionScorer, interactions: Sequence[SessionInteraction]) -> None:
    unknown = sorted({i.event_type for i in interactions} - set(scorer.event_weights))
    if unknown:
        raise ValueError(f"unknown event_type {unknown[0]!r}; expected one of {sorted(scorer.event_weights)}")


def session_frame(scorer: SessionScorer, interactions: Sequence[SessionInteraction]) -> pd.DataFrame:
    """The visitor's interactions as the batch recommender's input rows (weights from the seed, all now)."""
    _check_event_types(scorer, interactions)
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


def session_matrices(
    scorer: SessionScorer, interactions: Sequence[SessionInteraction]
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(1 x catalog summed positive weights, 1 x candidates purchase exclusions) of the visitor.

    What `build_interaction_matrix` and `exclusion_matrix` make of `session_frame` (a test holds them
    equal), built directly: those are pandas code for millions of rows and cost 4 ms for a handful. Every
    interaction happens now, so a purchase is always inside the exclusion window. Unknown items are ignored.
    """
    _check_event_types(scorer, interactions)
    summed: dict[int, float] = {}
    purchased: set[int] = set()
    for interaction in interactions:
        column = scorer.catalog_column.get(interaction.item_id)
        if column is None:
            continue
        summed[column] = summed.get(column, 0.0) + float(scorer.event_weights[interaction.event_type])
        if interaction.event_type == PURCHASE_EVENT:
            purchased.add(column)
    positive = sorted(column for column, weight in summed.items() if weight > 0)
    weights = sp.csr_matrix(
        (
            np.array([summed[c] for c in positive], dtype=np.float32),
            np.array(positive, dtype=np.int32),
            [0, len(positive)],
        ),
        shape=(1, len(scorer.catalog_ids)),
    )
    excluded = purchased | (set(positive) if scorer.settings.hybrid.exclude_seen else set())
    candidate_cols = sorted(int(scorer.candidate_column[c]) for c in excluded if scorer.candidate_column[c] >= 0)
    exclusions = sp.csr_matrix(
        (np.ones(len(candidate_cols), dtype=bool), np.array(candidate_cols, dtype=np.int32), [0, len(candidate_cols)]),
        shape=(1, len(scorer.base.item_ids)),
    )
    return weights, exclusions


def recommend_session(
    scorer: SessionScorer, interactions: Sequence[SessionInteraction], has_consent: bool, n: int
) -> pd.DataFrame:
    """Top-n for one visitor: person_id, rank, item_id, score, confidence, rec_source (see module doc).

    Without personalization consent the interactions never reach the model (popularity only), but
    purchases are still excluded, as the batch does for opted-out persons."""
    base = scorer.base
    hybrid = replace(scorer.settings.hybrid, n=n)
    weights, exclusions = session_matrices(scorer, interactions)
    # only a consenting visitor's behaviour reaches the model, as only consenting persons' trains it
    if not has_consent:
        weights = sp.csr_matrix(weights.shape, dtype=np.float32)
        if not hybrid.exclude_purchases_for_opted_out:
            exclusions = sp.csr_matrix(exclusions.shape, dtype=bool)
    on_model = scorer.model_column[weights.indices]
    known = on_model >= 0
    model_row = sp.csr_matrix(
        (weights.data[known], on_model[known], [0, int(known.sum())]), shape=(1, len(base.cf.item_ids))
    )
    folded = recalculate_users(base.cf, model_row, scorer.gram)
    fitted = replace(
        base,
        has_consent=np.array([has_consent]),
        history_length=np.array([weights.nnz]),
        training=InteractionMatrix(weights, base.person_ids, scorer.catalog_ids),
        exclusions=exclusions,
        cf=replace(base.cf, user_factors=folded),
        cf_person_row=np.array([0 if folded.any() else -1]),
    )
    return recommend_from(fitted, hybrid)
