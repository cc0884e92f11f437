"""Hybrid recommendations: exactly N per person, fallback chain, consent, exclusions, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.recommend import scoring, scoring_plan
from tailor.recommend.collaborative import CFParams
from tailor.recommend.content import user_profiles
from tailor.recommend.hybrid import (
    OUTPUT_COLUMNS,
    REC_SOURCES,
    HybridParams,
    content_profiles,
    fit_recommender,
    recommend,
    recommend_from,
)

CF = CFParams(factors=16, regularization=5.0, alpha=5.0, iterations=10)
N = 10
AS_OF = pd.Timestamp("2024-03-01", tz="UTC")


def event(person: str, item: str, weight: float = 1.0, days_ago: float = 1.0, purchased: bool = False) -> dict:
    at = AS_OF - pd.Timedelta(days=days_ago)
    return {
        "person_id": person,
        "item_id": item,
        "weight": weight,
        "last_interaction_at": at,
        "has_purchased": purchased,
        "last_purchased_at": at if purchased else pd.NaT,
    }


@pytest.fixture(scope="module")
def inputs(planted_small):
    data = planted_small
    catalog = data.catalog
    first_item = catalog["item_id"].iloc[0]
    segment = data.persons["segment_id"].dropna().iloc[0]
    extra_events = pd.DataFrame(
        [event("thin", first_item), *(event("ghost_fan", "GHOST", 50.0) for _ in range(3))]
        + [event(person, "GHOST", 20.0) for person in data.persons["person_id"].head(200)]
    )
    extra_persons = pd.DataFrame(
        {
            "person_id": ["thin", "ghost_fan", "new_in_segment", "new_no_segment"],
            "segment_id": [None, None, segment, None],
            "has_personalization_consent": [True, True, True, True],
        }
    )
    interactions = pd.concat([data.interactions, extra_events], ignore_index=True)
    persons = pd.concat([data.persons, extra_persons], ignore_index=True)
    return interactions, catalog, persons


@pytest.fixture(scope="module")
def planted_small():
    from tailor.recommend.synthetic import planted_dataset

    return planted_dataset(n_persons=700, n_items=160, n_categories=5, seed=21)


@pytest.fixture(scope="module")
def recs(inputs) -> pd.DataFrame:
    interactions, catalog, persons = inputs
    return recommend(interactions, catalog, persons, cf_params=CF, params=HybridParams(n=N), as_of=AS_OF)


def test_every_person_gets_exactly_n_ranked_recommendations(inputs, recs: pd.DataFrame) -> None:
    _, _, persons = inputs
    assert list(recs.columns) == ["person_id", "rank", "item_id", "score", "confidence", "rec_source"]
    counts = recs.groupby("person_id").size()
    assert set(counts.index) == set(persons["person_id"]) and (counts == N).all()
    assert recs.groupby("person_id")["rank"].apply(lambda ranks: list(ranks) == list(range(1, N + 1))).all()
    assert not recs.duplicated(["person_id", "item_id"]).any()
    assert recs["rec_source"].notna().all() and recs["rec_source"].isin(REC_SOURCES).all()
    assert recs["score"].between(0, 1).all() and recs["confidence"].between(0, 1).all()


def test_opted_out_persons_get_global_popularity_only(inputs, recs: pd.DataFrame) -> None:
    _, _, persons = inputs
    opted_out = set(persons.loc[~persons["has_personalization_consent"], "person_id"])
    assert opted_out
    served = recs.loc[recs["person_id"].isin(opted_out), "rec_source"]
    assert (served == "global_popularity").all()
    consenting = recs.loc[~recs["person_id"].isin(opted_out), "rec_source"]
    assert (consenting != "global_popularity").mean() > 0.9


def test_fallback_chain(recs: pd.DataFrame) -> None:
    source = recs.loc[recs["rank"] == 1].set_index("person_id")["rec_source"]
    assert source["thin"] == "content"
    assert source["new_in_segment"] == "segment_popularity"
    assert source["new_no_segment"] == "global_popularity"
    assert source.value_counts().index[0] == "hybrid"
    # within a person, model slots come first, then segment popularity, then global popularity
    tier = recs["rec_source"].map({"hybrid": 0, "collaborative": 0, "content": 0, "segment_popularity": 1})
    tier = tier.fillna(2)
    assert (tier.groupby(recs["person_id"]).diff().fillna(0) >= 0).all()


def test_purchased_inactive_and_unknown_items_are_never_recommended(inputs, recs: pd.DataFrame) -> None:
    interactions, catalog, _ = inputs
    purchased = interactions.loc[interactions["has_purchased"], ["person_id", "item_id"]].drop_duplicates()
    assert purchased.merge(recs, on=["person_id", "item_id"]).empty
    inactive = set(catalog.loc[~catalog["is_active"], "item_id"])
    assert inactive and not set(recs["item_id"]) & inactive
    assert "GHOST" not in set(recs["item_id"])


def test_purchase_window_limits_exclusions(inputs) -> None:
    interactions, catalog, persons = inputs
    params = HybridParams(n=N, purchase_exclusion_days=7)
    fitted = fit_recommender(interactions, catalog, persons, cf_params=CF, params=params, as_of=AS_OF)
    recs = recommend_from(fitted, params)
    recent = interactions.loc[
        interactions["has_purchased"] & (interactions["last_purchased_at"] >= AS_OF - pd.Timedelta(days=7)),
        ["person_id", "item_id"],
    ]
    assert len(recent) and recent.merge(recs, on=["person_id", "item_id"]).empty
    assert (
        fitted.exclusions.nnz
        < fit_recommender(
            interactions, catalog, persons, params=HybridParams(cf_weight=0, content_weight=0), as_of=AS_OF
        ).exclusions.nnz
    )


def test_same_input_gives_identical_output_regardless_of_row_order(inputs, recs: pd.DataFrame) -> None:
    interactions, catalog, persons = inputs
    again = recommend(
        interactions.sample(frac=1.0, random_state=9),
        catalog.sample(frac=1.0, random_state=9),
        persons.sample(frac=1.0, random_state=9),
        cf_params=CF,
        params=HybridParams(n=N),
        as_of=AS_OF,
    )
    pd.testing.assert_frame_equal(recs, again)


def test_scoring_a_subset_matches_scoring_everyone(inputs, recs: pd.DataFrame) -> None:
    interactions, catalog, persons = inputs
    params = HybridParams(n=N, block_size=7)
    fitted = fit_recommender(interactions, catalog, persons, cf_params=CF, params=params, as_of=AS_OF)
    subset = ["thin", "P000003", "new_in_segment", "P000500", "not-a-person"]
    part = recommend_from(fitted, params, subset)
    expected = recs.loc[recs["person_id"].isin(subset)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_scoring_blocks_on_several_threads_gives_the_same_rows(inputs, recs: pd.DataFrame) -> None:
    interactions, catalog, persons = inputs
    params = HybridParams(n=N, block_size=16)
    fitted = fit_recommender(interactions, catalog, persons, cf_params=CF, params=params, as_of=AS_OF)
    pd.testing.assert_frame_equal(recommend_from(fitted, params, threads=3), recs)


@pytest.mark.parametrize(("n", "normalization"), [(N, "minmax"), (3, "minmax"), (3, "rank")])
def test_hybrid_blocks_read_confidence_from_the_unpadded_columns(inputs, monkeypatch, n, normalization) -> None:
    """Blocks of hybrid rows take mean and max over the first n_items columns instead of a finite mask
    (the 150 active items are padded to 152 columns for n=10, 154 for n=3); the output equals the masked
    computation's."""
    interactions, catalog, persons = inputs
    params = HybridParams(n=n, normalization=normalization, block_size=16)
    fitted = fit_recommender(interactions, catalog, persons, cf_params=CF, params=params, as_of=AS_OF)
    assert scoring_plan.plan_scoring(fitted, params).width > len(fitted.item_ids)  # padded: -inf beyond the candidates
    fast = recommend_from(fitted, params)
    original = scoring._confidence_of_model
    widths = []

    def masked(*args, finite_width=None, **kwargs):
        widths.append(finite_width)
        return original(*args, **kwargs)

    monkeypatch.setattr(scoring, "_confidence_of_model", masked)
    pd.testing.assert_frame_equal(recommend_from(fitted, params), fast, check_exact=False, rtol=1e-12)
    assert len(fitted.item_ids) in widths  # the fast path was taken ...
    assert None in widths  # ... and so was the masked one, for blocks with other sources


def test_block_content_profiles_match_profiles_of_everyone(inputs) -> None:
    interactions, catalog, persons = inputs
    fitted = fit_recommender(interactions, catalog, persons, cf_params=CF, params=HybridParams(n=N), as_of=AS_OF)
    everyone = user_profiles(fitted.content, fitted.training)
    rows = np.array([5, 0, len(fitted.person_ids) - 1, 17])
    np.testing.assert_allclose(content_profiles(fitted, rows).toarray(), everyone[rows].toarray(), rtol=1e-6)
    np.testing.assert_array_equal(fitted.has_content_profile, np.diff(everyone.indptr) > 0)
    assert not fitted.has_content_profile.all()  # persons without history (or opted out) have no profile


def test_persons_without_a_model_get_their_segment_then_global_popularity_minus_exclusions(inputs) -> None:
    """No personal model for anyone: each person's list is, independently recomputed here, their segment's
    items by distinct consenting persons (if they consent and have a segment), then the rest by distinct
    persons overall, ties by item id, never an item they bought; scores are popularity over the maximum."""
    interactions, catalog, persons = inputs
    params = HybridParams(n=N, content_weight=0.0, min_cf_items=10**6)
    recs = recommend(interactions, catalog, persons, cf_params=CF, params=params, as_of=AS_OF)
    assert set(recs["rec_source"]) == {"segment_popularity", "global_popularity"}

    active = catalog.loc[catalog["is_active"].fillna(False).astype(bool), "item_id"].astype(str)
    totals = interactions.groupby(["person_id", "item_id"], as_index=False)["weight"].sum()
    liked = totals.loc[(totals["weight"] > 0) & totals["item_id"].isin(set(catalog["item_id"]))]
    people = persons.drop_duplicates("person_id").set_index("person_id")
    consent = people["has_personalization_consent"].fillna(False).astype(bool)
    overall = liked.groupby("item_id")["person_id"].nunique().reindex(active, fill_value=0)
    bought = interactions.loc[interactions["has_purchased"]].groupby("person_id")["item_id"].agg(set)

    def ranked(popularity: pd.Series) -> list[str]:
        frame = popularity.rename("popularity").rename_axis("item_id").reset_index()
        return list(frame.sort_values(["popularity", "item_id"], ascending=[False, True])["item_id"])

    by_segment = {}
    members = liked.merge(people.loc[consent, ["segment_id"]].reset_index(), on="person_id")
    for segment, group in members.groupby("segment_id"):
        by_segment[segment] = group.groupby("item_id")["person_id"].nunique().reindex(active, fill_value=0)
    global_order = ranked(overall)
    checked = 0
    for person_id, rows in recs.groupby("person_id", sort=False):
        segment = people.at[person_id, "segment_id"] if consent[person_id] else None
        popular = by_segment.get(segment, pd.Series(dtype=float))
        order = [item for item in ranked(popular) if popular[item] > 0] if len(popular) else []
        in_segment = set(order)
        order += [item for item in global_order if item not in in_segment]
        expected = [item for item in order if item not in bought.get(person_id, set())][:N]
        assert list(rows["item_id"]) == expected, person_id
        from_segment = rows["rec_source"] == "segment_popularity"
        expected_score = np.where(
            from_segment,
            popular.reindex(rows["item_id"]).to_numpy() / (popular.max() if len(popular) else 1.0),
            overall[rows["item_id"]].to_numpy() / overall.max(),
        )
        np.testing.assert_allclose(rows["score"].to_numpy(), expected_score)
        checked += from_segment.any() and bool(set(order[:N]) & bought.get(person_id, set()))
    assert checked > 50  # persons served from their segment whose top N without exclusions held a bought item


def test_confidence_grows_with_history_and_is_lower_for_popularity(recs: pd.DataFrame, inputs) -> None:
    interactions, _, _ = inputs
    history = interactions.groupby("person_id")["item_id"].nunique()
    top = recs.loc[recs["rank"] == 1].set_index("person_id")
    model = top.loc[top["rec_source"].isin(["hybrid", "content"])]
    correlation = np.corrcoef(history.reindex(model.index), model["confidence"])[0, 1]
    assert correlation > 0.3
    assert top.loc[top["rec_source"] == "global_popularity", "confidence"].max() <= 0.3 + 1e-9


def test_small_catalog_gives_every_eligible_item(inputs) -> None:
    interactions, catalog, persons = inputs
    small = catalog.head(12)
    recs = recommend(interactions, small, persons, cf_params=CF, params=HybridParams(n=N), as_of=AS_OF)
    active = int(small["is_active"].sum())
    purchased = interactions.loc[interactions["has_purchased"] & interactions["item_id"].isin(small["item_id"])]
    blocked = purchased.groupby("person_id")["item_id"].nunique()
    expected = (active - blocked.reindex(persons["person_id"]).fillna(0)).clip(upper=N)
    got = recs.groupby("person_id").size().reindex(persons["person_id"]).fillna(0)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize(
    ("cf_params", "params"),
    [
        (CF, HybridParams(n=N, normalization="rank")),
        (CFParams(algorithm="bpr", factors=8, iterations=20), HybridParams(n=N)),
        (CFParams(factors=8, confidence="log", alpha=2.0), HybridParams(n=N, exclude_seen=True)),
    ],
)
def test_variants_keep_the_output_contract(inputs, cf_params: CFParams, params: HybridParams) -> None:
    interactions, catalog, persons = inputs
    recs = recommend(interactions, catalog, persons, cf_params=cf_params, params=params, as_of=AS_OF)
    assert tuple(recs.columns) == OUTPUT_COLUMNS
    assert (recs.groupby("person_id").size() == N).all() and recs["person_id"].nunique() == len(persons)
    assert recs["score"].between(0, 1).all() and recs["confidence"].between(0, 1).all()
    assert (recs.loc[recs["rank"] == 1, "rec_source"] == "hybrid").mean() > 0.5
    if params.exclude_seen:
        seen = interactions.loc[interactions["weight"] > 0, ["person_id", "item_id"]].drop_duplicates()
        assert seen.merge(recs, on=["person_id", "item_id"]).empty
