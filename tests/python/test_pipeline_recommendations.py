"""Pipeline checks of the recommendation marts: business rules, consent, the quality gate, run history, and
agreement with the planted tastes of the generated shoppers.

They read the built warehouse (TAILOR_DUCKDB_PATH) and, for the planted-taste check, the planted truth
(TAILOR_TRUTH); they skip when either is missing, so the unit-test run stays independent of a build.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml

from tailor.identity.evaluate import pii_salt, pseudonymize, read_truth_identifiers, truth_in_warehouse_terms
from tailor.recommend.collaborative import recalculate_users
from tailor.recommend.pipeline import cf_model_from_factors
from tailor.recommend.settings import RecsSettings
from tailor.warehouse import default_db_path

MARTS = ("fct_recommendations", "fct_similar_items", "fct_recommendation_evaluation")
REQUIRED_TABLES = MARTS
PERSONAL_SOURCES = ("hybrid", "collaborative", "content")
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"
# personalized top-10 lists must hit a person's planted favourite categories this many times more often
# than the global best-sellers do for the same persons
MIN_FAVORITE_LIFT = 1.5


@pytest.fixture(scope="module")
def project_vars() -> dict:
    return yaml.safe_load(PROJECT.read_text())["vars"]["tailor"]


@pytest.fixture(scope="module")
def recommendations(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql("select * from fct_recommendations").df()


@pytest.fixture(scope="module")
def profiles(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql("select person_id, has_personalization_consent from dim_customer_profiles").df()


@pytest.fixture(scope="module")
def latest_run(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql(
        "select * from fct_recommendation_evaluation"
        " where run_number = (select max(run_number) from fct_recommendation_evaluation)"
    ).df()


def test_every_profile_gets_exactly_n_ranked_recommendations(
    recommendations: pd.DataFrame, profiles: pd.DataFrame, project_vars: dict
) -> None:
    top_n = int(project_vars["recommendations"]["top_n"])
    counts = recommendations.groupby("person_id")["rank"].agg(["count", "min", "max", "nunique"])
    assert set(counts.index) == set(profiles["person_id"]), "recommendations and profiles cover different persons"
    assert (counts["count"] == top_n).all() and (counts["nunique"] == top_n).all()
    assert (counts["min"] == 1).all() and (counts["max"] == top_n).all()
    assert not recommendations.duplicated(["person_id", "item_id"]).any(), "an item appears twice in one list"


def test_rec_source_is_set_on_every_row(recommendations: pd.DataFrame) -> None:
    assert recommendations["rec_source"].notna().all()
    allowed = {*PERSONAL_SOURCES, "segment_popularity", "global_popularity"}
    assert set(recommendations["rec_source"]) <= allowed
    assert (recommendations["is_personalized"] == recommendations["rec_source"].isin(PERSONAL_SOURCES)).all()


def test_opted_out_persons_get_only_non_personalized_rows(
    recommendations: pd.DataFrame, profiles: pd.DataFrame
) -> None:
    opted_out = set(profiles.loc[~profiles["has_personalization_consent"].fillna(False).astype(bool), "person_id"])
    assert opted_out, "the data should hold persons without personalization consent"
    theirs = recommendations.loc[recommendations["person_id"].isin(opted_out)]
    assert len(theirs) > 0
    assert set(theirs["rec_source"]) == {"global_popularity"}
    # and everyone of them gets the same list: nothing about the person shaped it but their own purchases
    consenting = recommendations.loc[~recommendations["person_id"].isin(opted_out)]
    assert consenting["is_personalized"].any(), "consenting persons should get personalized rows"


def test_consenting_persons_are_mostly_served_by_a_personal_model(
    recommendations: pd.DataFrame, profiles: pd.DataFrame, warehouse: duckdb.DuckDBPyConnection
) -> None:
    trained = set(warehouse.sql("select person_id from int_recommendation_factors_fitted").df()["person_id"].dropna())
    consenting = set(profiles.loc[profiles["has_personalization_consent"].fillna(False).astype(bool), "person_id"])
    with_history = consenting & trained
    firsts = recommendations.loc[recommendations["rank"] == 1].set_index("person_id")["rec_source"]
    assert firsts.reindex(sorted(with_history)).isin(PERSONAL_SOURCES).mean() > 0.95
    assert trained <= consenting, "a person without consent has collaborative factors"


def test_purchased_items_are_never_recommended_back(
    recommendations: pd.DataFrame, warehouse: duckdb.DuckDBPyConnection, project_vars: dict
) -> None:
    window = project_vars["recommendations"]["purchase_exclusion_days"]
    purchases = warehouse.sql(
        "select person_id, item_id, last_purchased_at from fct_interactions where has_purchased"
    ).df()
    assert len(purchases) > 0
    generated_at = recommendations["generated_at"].max()
    if window is not None:
        purchases = purchases.loc[purchases["last_purchased_at"] >= generated_at - pd.Timedelta(days=float(window))]
    clash = recommendations.merge(purchases, on=["person_id", "item_id"])
    assert clash.empty, f"{len(clash)} recommendations of items bought within the window"


def test_only_active_catalog_items_are_recommended(
    recommendations: pd.DataFrame, warehouse: duckdb.DuckDBPyConnection
) -> None:
    products = warehouse.sql("select product_id, is_active from stg_catalog__products").df()
    active = set(products.loc[products["is_active"].fillna(False).astype(bool), "product_id"])
    assert set(recommendations["item_id"]) <= active
    similar = warehouse.sql("select item_id, similar_item_id from fct_similar_items").df()
    assert set(similar["similar_item_id"]) <= active
    assert (similar["item_id"] != similar["similar_item_id"]).all()


def test_quality_gate_hybrid_beats_global_popularity(latest_run: pd.DataFrame, project_vars: dict) -> None:
    ratio = float(project_vars["recommendations"]["quality_gate_ratio"])
    overall = latest_run.loc[(latest_run["slice_type"] == "overall") & (latest_run["k"] == 10)]
    ndcg = overall.loc[overall["metric"] == "ndcg"].set_index("model_name")["metric_value"]
    assert {"hybrid", "als", "content", "global_popularity", "segment_popularity"} <= set(ndcg.index)
    print(f"\nNDCG@10 {ndcg.round(4).to_dict()}; hybrid / global = {ndcg['hybrid'] / ndcg['global_popularity']:.2f}")
    assert ndcg["hybrid"] >= ratio * ndcg["global_popularity"]
    assert ndcg["als"] > ndcg["global_popularity"]
    # every slice type is there, and the tier slices add up to the persons evaluated overall
    assert set(latest_run["slice_type"]) == {"overall", "segment", "tier"}
    hybrid_ndcg = latest_run.loc[(latest_run["model_name"] == "hybrid") & (latest_run["metric"] == "ndcg")]
    by_type = hybrid_ndcg.loc[hybrid_ndcg["k"] == 10].groupby("slice_type")["n_users"].sum()
    assert by_type["tier"] == by_type["overall"] == by_type["segment"]


def test_evaluation_run_history_is_keyed_by_run(warehouse: duckdb.DuckDBPyConnection) -> None:
    runs = warehouse.sql(
        "select evaluation_run_id, count(distinct run_number) as numbers, count(*) as row_count"
        " from fct_recommendation_evaluation group by evaluation_run_id"
    ).df()
    assert (runs["numbers"] == 1).all(), "a run carries more than one run number"
    numbers = warehouse.sql(
        "select run_number, count(distinct evaluation_run_id) as run_count from fct_recommendation_evaluation"
        " group by run_number"
    ).df()
    assert (numbers["run_count"] == 1).all(), "two runs share a run number"


def build_settings(project_vars: dict) -> RecsSettings:
    """The recommender settings the models read: the project's `recommendations` var."""
    return RecsSettings.from_mapping(project_vars["recommendations"])


def test_stored_factors_fold_in_a_person_without_retraining(
    warehouse: duckdb.DuckDBPyConnection, project_vars: dict
) -> None:
    """One least-squares step from a person's own interactions (as the fit read them: as of the refit instant)
    lands close to their stored factors."""
    settings = build_settings(project_vars)
    versions = set(warehouse.sql("select distinct model_version from fct_recommendations").df()["model_version"])
    if versions != {settings.model_version()}:
        pytest.skip(f"the warehouse was built with other recommender vars ({versions})")
    model = cf_model_from_factors(warehouse.sql("select * from int_recommendation_factors_fitted").df(), settings.cf)
    sample = model.user_ids[:: max(len(model.user_ids) // 50, 1)][:50]
    interactions = warehouse.sql(
        "select person_id, item_id, weight from int_recommendation_interactions_refit where weight > 0"
    ).df()
    interactions = interactions.loc[interactions["person_id"].isin(set(sample))]
    rows = pd.Index(sample).get_indexer(interactions["person_id"])
    cols = pd.Index(model.item_ids).get_indexer(interactions["item_id"])
    keep = cols >= 0
    matrix = sp.csr_matrix(
        (interactions["weight"].to_numpy()[keep], (rows[keep], cols[keep])), shape=(len(sample), len(model.item_ids))
    )
    folded = recalculate_users(model, matrix)
    stored = model.user_factors[pd.Index(model.user_ids).get_indexer(sample)]
    cosine = np.sum(folded * stored, axis=1) / (np.linalg.norm(folded, axis=1) * np.linalg.norm(stored, axis=1) + 1e-12)
    print(f"\nfold-in vs stored factors: median cosine {np.median(cosine):.4f}, min {cosine.min():.4f}")
    assert np.median(cosine) > 0.95


@pytest.fixture(scope="module")
def truth_dir() -> Path:
    path = Path(os.environ.get("TAILOR_TRUTH", "data/truth/sample"))
    if not (path / "persons.parquet").exists():
        pytest.skip(f"no planted truth at {path}")
    return path


def test_personalized_lists_follow_planted_tastes(
    recommendations: pd.DataFrame, warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    """Top-10 personalized lists land in a person's planted favourite categories far more often than the
    global best-sellers do for the same persons."""
    salt = pii_salt()
    keyed = truth_in_warehouse_terms(read_truth_identifiers(truth_dir), lambda value: pseudonymize(value, salt))
    identity = warehouse.sql("select identifier_type, identifier_value, person_id from dim_identity_map").df()
    owners = identity.merge(keyed.loc[keyed["n_owners"] == 1], on=["identifier_type", "identifier_value"])
    # a warehouse person's true owner: the truth person most of their identifiers belong to
    owner = owners.groupby("person_id")["person_key"].agg(lambda keys: keys.value_counts().index[0])
    truth = pd.read_parquet(truth_dir / "persons.parquet", columns=["person_key", "favorite_categories"])
    favorites = truth.set_index("person_key")["favorite_categories"].map(lambda values: set(values))
    categories = warehouse.sql("select product_id, category from stg_catalog__products").df()
    category_of = categories.set_index("product_id")["category"]

    top = recommendations.loc[recommendations["rank"] <= 10]
    served = top.groupby("person_id")["is_personalized"].all()
    persons = [person for person in served.index[served] if person in owner.index]
    assert len(persons) >= 20, "too few personalized persons with a known planted owner"
    best_sellers = top.loc[top["rec_source"] == "global_popularity"].groupby("item_id").size()
    global_top = list(best_sellers.sort_values(ascending=False).index[:10])

    def hit_share(person: str, items: list[str]) -> float:
        liked = favorites.get(owner[person], set())
        return float(np.mean([category_of.get(item) in liked for item in items]))

    lists = top.loc[top["person_id"].isin(persons)].sort_values("rank").groupby("person_id")["item_id"].agg(list)
    personal = np.mean([hit_share(person, items) for person, items in lists.items()])
    baseline = np.mean([hit_share(person, global_top) for person in lists.index])
    print(f"\nfavourite-category share of top-10: personalized {personal:.3f}, best-sellers {baseline:.3f}")
    assert personal >= MIN_FAVORITE_LIFT * baseline


def test_recs_eval_prints_the_latest_run(warehouse: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture) -> None:
    from tailor.cli import main

    assert main(["recs-eval", "--db", str(default_db_path())]) == 0
    printed = capsys.readouterr().out
    for model in ("hybrid", "als", "content", "segment_popularity", "global_popularity"):
        assert model in printed
    for metric in ("precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty"):
        assert metric in printed
    assert "hybrid NDCG@10" in printed
