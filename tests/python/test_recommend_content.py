"""Content-based model: item vectors, profiles, same-category recommendations, cold items."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailor.recommend.content import ContentParams, category_levels, fit_content, split_tags, user_profiles
from tailor.recommend.data import build_interaction_matrix
from tailor.recommend.evaluate import model_params
from tailor.recommend.hybrid import HybridParams, recommend
from tailor.recommend.synthetic import planted_dataset


@pytest.fixture(scope="module")
def planted():
    return planted_dataset(n_persons=300, n_items=180, n_categories=6, seed=5)


def one_category_viewer(catalog: pd.DataFrame, category: str, n_views: int) -> pd.DataFrame:
    items = catalog.loc[catalog["category"] == category, "item_id"].head(n_views)
    at = pd.Timestamp("2024-03-01", tz="UTC")
    return pd.DataFrame(
        {
            "person_id": "viewer",
            "item_id": items.to_numpy(),
            "weight": 1.0,
            "last_interaction_at": at,
            "has_purchased": False,
            "last_purchased_at": pd.NaT,
        }
    )


def test_tags_and_category_tokens() -> None:
    assert split_tags("Red| running |") == ["red", "running"]
    assert split_tags(["Red", None, " Shoe "]) == ["red", "shoe"]
    assert split_tags(None) == []
    assert category_levels("Home > Kitchen/Knives") == ["home", "home>kitchen", "home>kitchen>knives"]
    assert category_levels(None) == []


def test_item_vectors_are_unit_length_and_tag_formats_agree() -> None:
    base = pd.DataFrame(
        {
            "item_id": ["b", "a", "c"],
            "title": ["Red running shoe", "Blue kettle", "Trail running shorts"],
            "description": ["fast", "boils water", "light"],
            "category": ["Sport > Shoes", "Home > Kitchen", "Sport > Apparel"],
            "brand": ["Stride", "Boil", "Stride"],
            "tags": [["run", "red"], ["kitchen"], ["run"]],
        }
    )
    joined = base.assign(tags=["run|red", "kitchen", "run"])
    first, second = fit_content(base), fit_content(joined)
    assert list(first.item_ids) == ["a", "b", "c"]
    np.testing.assert_allclose(np.sqrt(first.item_vectors.multiply(first.item_vectors).sum(axis=1)).A1, 1.0)
    assert (first.item_vectors != second.item_vectors).nnz == 0
    similarity = (first.item_vectors @ first.item_vectors.T).toarray()
    assert similarity[1, 2] > 0.3 and similarity[0, 1] == 0.0  # shared category level, brand, tag vs nothing


def test_profiles_are_weighted_sums_of_item_vectors() -> None:
    catalog = pd.DataFrame({"item_id": ["a", "b"], "title": ["kettle", "shoe"], "category": ["home", "sport"]})
    model = fit_content(catalog, ContentParams(stop_words=None))
    frame = pd.DataFrame({"person_id": ["p", "p"], "item_id": ["a", "b"], "weight": [3.0, 1.0]})
    profile = user_profiles(model, build_interaction_matrix(frame)).toarray()[0]
    expected = 3.0 * model.item_vectors.toarray()[0] + 1.0 * model.item_vectors.toarray()[1]
    np.testing.assert_allclose(profile, expected / np.linalg.norm(expected), rtol=1e-5)


def test_content_recommends_the_viewed_category(planted) -> None:
    catalog = planted.catalog
    category = "Shop > Kitchen"
    views = one_category_viewer(catalog, category, n_views=3)
    persons = pd.DataFrame({"person_id": ["viewer"], "segment_id": [None], "has_personalization_consent": [True]})
    recs = recommend(views, catalog, persons, params=model_params("content", HybridParams(n=10)))
    assert len(recs) == 10 and (recs["rec_source"] == "content").all()
    shown = catalog.set_index("item_id").loc[recs["item_id"], "category"]
    assert (shown == category).all()


def test_content_reaches_a_new_item_nobody_interacted_with(planted) -> None:
    new_item = pd.DataFrame(
        {
            "item_id": ["I99999"],
            "title": ["Premium kettle"],
            "description": ["A premium kettle that pairs well with any pan."],
            "category": ["Shop > Kitchen"],
            "brand": ["KitchenCo 1"],
            "tags": [["kitchen", "kettle", "premium"]],
            "price": [30.0],
            "is_active": [True],
        }
    )
    catalog = pd.concat([planted.catalog, new_item], ignore_index=True)
    interactions = pd.concat([planted.interactions, one_category_viewer(catalog, "Shop > Kitchen", 3)])
    persons = pd.concat(
        [planted.persons, pd.DataFrame({"person_id": ["viewer"], "has_personalization_consent": [True]})]
    )
    kitchen = catalog.loc[(catalog["category"] == "Shop > Kitchen") & catalog["is_active"], "item_id"]
    params = model_params("content", HybridParams(n=len(kitchen) - 3, exclude_seen=True))
    recs = recommend(interactions, catalog, persons, params=params)
    viewer = recs.loc[recs["person_id"] == "viewer"]
    assert (viewer["rec_source"] == "content").all()
    assert "I99999" in set(viewer["item_id"])
    assert set(viewer["item_id"]) <= set(kitchen)
