"""Session fold-in against stored item factors: the batch chain's rules and fallbacks, from the serving tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.recommend.collaborative import recalculate_user
from tailor.recommend.data import build_interaction_matrix, exclusion_matrix
from tailor.recommend.pipeline import cf_model_from_factors, fit_factors, score_recommendations
from tailor.recommend.serving import SERVING_ITEM_COLUMNS, serving_items, serving_model
from tailor.recommend.session import (
    SessionInteraction,
    recommend_session,
    session_frame,
    session_matrices,
    session_scorer,
)
from tailor.recommend.settings import RecsSettings
from tailor.recommend.synthetic import EVENT_WEIGHTS, planted_dataset

OPTIONS = {"factors": "16", "regularization": "5", "alpha": "5", "iterations": "10", "content_weight": "0"}
NEWCOMER = "P_new"


@pytest.fixture(scope="module")
def fitted():
    data = planted_dataset(n_persons=500, n_items=120, n_categories=4, seed=7)
    settings = RecsSettings.from_mapping(OPTIONS)
    newcomer = pd.DataFrame({"person_id": [NEWCOMER], "segment_id": [None], "has_personalization_consent": [False]})
    persons = pd.concat([data.persons, newcomer], ignore_index=True)
    factors = fit_factors(data.interactions, data.catalog, persons, settings, as_of=data.end_at)
    items = serving_items(data.interactions, data.catalog, factors, settings)
    weights = pd.DataFrame({"event_type": list(EVENT_WEIGHTS), "weight": list(EVENT_WEIGHTS.values())})
    model = serving_model(OPTIONS, weights).iloc[0]
    scorer = session_scorer(items, model["recs_options"], model["event_weights"], data.end_at)
    batch = score_recommendations(data.interactions, data.catalog, persons, factors, settings, as_of=data.end_at)
    return data, settings, factors, items, scorer, batch


def test_serving_tables_have_every_catalog_item_and_the_build_settings(fitted) -> None:
    data, settings, factors, items, scorer, _ = fitted
    assert list(items.columns) == list(SERVING_ITEM_COLUMNS)
    assert set(items["item_id"]) == set(data.catalog["item_id"])
    assert items["factors"].notna().sum() == factors["item_id"].notna().sum()
    assert scorer.settings == settings
    assert (items["model_version"] == settings.model_version()).all()


def test_session_without_consent_is_the_batch_list_of_an_opted_out_newcomer(fitted) -> None:
    *_, scorer, batch = fitted
    session = recommend_session(scorer, [], has_consent=False, n=scorer.settings.hybrid.n)
    expected = batch.loc[batch["person_id"] == NEWCOMER].reset_index(drop=True)
    assert (session["rec_source"] == "global_popularity").all()
    assert session["item_id"].tolist() == expected["item_id"].tolist()
    np.testing.assert_allclose(session["score"], expected["score"])


def test_consenting_session_is_folded_in_like_the_fitted_person(fitted) -> None:
    data, settings, factors, _, scorer, batch = fitted
    person = batch.loc[batch["rec_source"] == "collaborative", "person_id"].iloc[0]
    events = data.interactions.loc[data.interactions["person_id"] == person]
    session = recommend_session(
        scorer, [SessionInteraction(r.item_id, r.event_type) for r in events.itertuples()], has_consent=True, n=10
    )
    assert (session["rec_source"] == "collaborative").all()
    # the fold-in is recalculate_user on the stored factors with the fit's own settings
    model = cf_model_from_factors(factors, settings.cf)
    folded = recalculate_user(model, events["item_id"].tolist(), events["weight"].tolist())
    fitted_row = model.user_factors[list(model.user_ids).index(person)]
    cosine = folded @ fitted_row / (np.linalg.norm(folded) * np.linalg.norm(fitted_row))
    assert cosine > 0.95
    batch_top = batch.loc[batch["person_id"] == person].head(10)
    assert len(set(session["item_id"]) & set(batch_top["item_id"])) >= 7


def test_session_rules_purchases_inactive_items_and_too_short_histories(fitted) -> None:
    data, *_, scorer, _ = fitted
    inactive = set(data.catalog.loc[~data.catalog["is_active"], "item_id"])
    popular = recommend_session(scorer, [], has_consent=True, n=5)
    bought = popular["item_id"].iloc[0]
    viewed = [SessionInteraction(item, "product_view") for item in popular["item_id"].iloc[1:4]]
    session = recommend_session(scorer, [*viewed, SessionInteraction(bought, "purchase")], has_consent=True, n=30)
    assert bought not in set(session["item_id"])
    assert not inactive & set(session["item_id"])
    assert (session["rec_source"] == "collaborative").any()
    # purchases are excluded for a visitor without consent too, and one item is too short a history for CF
    opted_out = recommend_session(scorer, [SessionInteraction(bought, "purchase")], has_consent=False, n=5)
    assert bought not in set(opted_out["item_id"]) and (opted_out["rec_source"] == "global_popularity").all()
    short = recommend_session(scorer, viewed[:1], has_consent=True, n=5)
    assert (short["rec_source"] == "global_popularity").all()


def test_unknown_event_type_is_refused(fitted) -> None:
    *_, scorer, _ = fitted
    with pytest.raises(ValueError, match="unknown event_type 'wishlist'"):
        recommend_session(scorer, [SessionInteraction("x", "wishlist")], has_consent=True, n=5)


def test_session_matrices_equal_the_batch_builders_on_the_same_rows(fitted) -> None:
    data, _, _, items, _, _ = fitted
    weights = {**EVENT_WEIGHTS, "refund": -5.0}
    scorer = session_scorer(items, OPTIONS, weights, data.end_at)
    active = data.catalog.loc[data.catalog["is_active"], "item_id"].tolist()
    inactive = data.catalog.loc[~data.catalog["is_active"], "item_id"].tolist()
    interactions = [
        SessionInteraction(active[0], "product_view"),
        SessionInteraction(active[0], "add_to_cart"),
        SessionInteraction(active[1], "purchase"),
        SessionInteraction(active[1], "refund"),  # nets to zero: no preference, still a purchase
        SessionInteraction(active[2], "purchase"),
        SessionInteraction(inactive[0], "purchase"),
        SessionInteraction("not-in-the-catalog", "product_view"),
    ]
    direct_weights, direct_exclusions = session_matrices(scorer, interactions)
    frame = session_frame(scorer, interactions)
    base = scorer.base
    expected_weights = build_interaction_matrix(frame, user_ids=base.person_ids, item_ids=scorer.catalog_ids).matrix
    expected_exclusions = exclusion_matrix(
        frame,
        base.person_ids,
        base.item_ids,
        as_of=base.as_of,
        purchase_window_days=scorer.settings.hybrid.purchase_exclusion_days,
    )
    assert (direct_weights != expected_weights).nnz == 0
    assert direct_weights.nnz == 3  # active[0], active[2] and the inactive item: catalog items all
    assert (direct_exclusions != expected_exclusions).nnz == 0
    assert direct_exclusions.nnz == 2
