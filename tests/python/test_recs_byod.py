"""Bring your own data: `tailor recommend` on plain interactions and catalog files, as a user would run it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tailor.cli import main
from tailor.recommend.pipeline import holdout_split, interactions_at, standard_catalog, standard_events
from tailor.recommend.synthetic import planted_dataset

N = 10


@pytest.fixture(scope="module")
def shop() -> object:
    return planted_dataset(n_persons=400, n_items=120, n_categories=5, days=40, seed=7)


@pytest.fixture(scope="module")
def files(shop, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The shop as a user would export it: user/item/timestamp/rating/event CSV and a catalog CSV."""
    folder = tmp_path_factory.mktemp("byod")
    events = shop.interactions
    pd.DataFrame(
        {
            "user": events["person_id"],
            "item": events["item_id"],
            "timestamp": events["last_interaction_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rating": events["weight"],
            "event": events["event_type"],
        }
    ).to_csv(folder / "interactions.csv", index=False)
    catalog = shop.catalog.assign(tags=shop.catalog["tags"].map("|".join))
    catalog.rename(columns={"item_id": "product_id"}).to_csv(folder / "catalog.csv", index=False)
    consent = shop.persons.rename(columns={"person_id": "user_id"})
    consent.to_parquet(folder / "persons.parquet", index=False)
    return {
        "folder": folder,
        "interactions": folder / "interactions.csv",
        "catalog": folder / "catalog.csv",
        "persons": folder / "persons.parquet",
    }


def run(files: dict[str, Path], out: Path, *extra: str) -> dict[str, pd.DataFrame]:
    code = main(
        [
            "recommend",
            "--interactions",
            str(files["interactions"]),
            "--catalog",
            str(files["catalog"]),
            "--out",
            str(out),
            "--top-n",
            str(N),
            *extra,
        ]
    )
    assert code == 0
    return {path.stem: pd.read_parquet(path) for path in out.glob("*.parquet")}


@pytest.fixture(scope="module")
def outputs(files, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return run(files, tmp_path_factory.mktemp("out"))


def test_writes_every_output(outputs: dict[str, pd.DataFrame]) -> None:
    assert set(outputs) == {"recommendations", "similar_items", "evaluation", "factors"}
    assert list(outputs["recommendations"].columns) == [
        "person_id",
        "rank",
        "item_id",
        "score",
        "confidence",
        "rec_source",
        "model_version",
    ]


def test_every_user_gets_n_recommendations(outputs, shop) -> None:
    recs = outputs["recommendations"]
    counts = recs.groupby("person_id").size()
    assert set(counts.index) == set(shop.interactions["person_id"])
    assert (counts == N).all()
    assert recs["rec_source"].notna().all()


def test_business_rules_hold(outputs, shop) -> None:
    recs = outputs["recommendations"]
    inactive = set(shop.catalog.loc[~shop.catalog["is_active"], "item_id"])
    assert inactive and not set(recs["item_id"]) & inactive
    bought = shop.interactions.loc[shop.interactions["has_purchased"], ["person_id", "item_id"]]
    assert recs.merge(bought, on=["person_id", "item_id"]).empty
    similar = outputs["similar_items"]
    assert not set(similar["similar_item_id"]) & inactive
    assert (similar["item_id"] != similar["similar_item_id"]).all()


def test_evaluation_beats_popularity(outputs) -> None:
    evaluation = outputs["evaluation"]
    overall = evaluation.loc[(evaluation["slice_type"] == "overall") & (evaluation["k"] == 10)]
    ndcg = overall.loc[overall["metric"] == "ndcg"].set_index("model")["value"]
    assert set(ndcg.index) == {"als", "content", "hybrid", "global_popularity", "segment_popularity"}
    assert ndcg["hybrid"] >= 1.2 * ndcg["global_popularity"]


def test_same_files_give_the_same_output(files, outputs, tmp_path: Path) -> None:
    again = run(files, tmp_path / "again", "--no-eval")
    pd.testing.assert_frame_equal(again["recommendations"], outputs["recommendations"])
    pd.testing.assert_frame_equal(again["similar_items"], outputs["similar_items"])


def test_persons_file_consent_is_honoured(files, shop, tmp_path: Path) -> None:
    recs = run(files, tmp_path / "consent", "--persons", str(files["persons"]), "--no-eval")["recommendations"]
    opted_out = set(shop.persons.loc[~shop.persons["has_personalization_consent"], "person_id"])
    assert opted_out
    assert set(recs.loc[recs["person_id"].isin(opted_out), "rec_source"]) == {"global_popularity"}
    assert recs.loc[~recs["person_id"].isin(opted_out), "rec_source"].isin(["hybrid", "collaborative"]).any()


def test_minimal_files_work(shop, tmp_path: Path) -> None:
    """Just user, item, timestamp and a bare list of item ids: collaborative and popularity still serve."""
    events = shop.interactions
    pd.DataFrame(
        {"user_id": events["person_id"], "item_id": events["item_id"], "ts": events["last_interaction_at"]}
    ).to_parquet(tmp_path / "events.parquet", index=False)
    shop.catalog[["item_id"]].to_csv(tmp_path / "items.csv", index=False)
    code = main(
        [
            "recommend",
            "--interactions",
            str(tmp_path / "events.parquet"),
            "--catalog",
            str(tmp_path / "items.csv"),
            "--out",
            str(tmp_path / "out"),
            "--top-n",
            "5",
            "--no-eval",
        ]
    )
    assert code == 0
    recs = pd.read_parquet(tmp_path / "out" / "recommendations.parquet")
    assert (recs.groupby("person_id").size() == 5).all()
    assert set(recs["rec_source"]) <= {"collaborative", "global_popularity"}


def test_column_detection_and_errors() -> None:
    raw = pd.DataFrame({"customer_id": ["a", "b"], "sku": ["x", "y"], "event_at": ["2024-01-01", "bad"]})
    events = standard_events(raw)
    assert list(events["person_id"]) == ["a"] and list(events["item_id"]) == ["x"]
    assert (events["base_weight"] == 1.0).all() and not events["is_purchase"].any()
    with pytest.raises(ValueError, match="timestamp"):
        standard_events(raw.drop(columns="event_at"))
    with pytest.raises(ValueError, match="not found"):
        standard_events(raw, user_col="nope")
    catalog = standard_catalog(pd.DataFrame({"id": [1, 2, 2]}))
    assert list(catalog["item_id"]) == ["1", "2"] and catalog["is_active"].all()


def test_holdout_split_has_no_look_ahead() -> None:
    at = pd.Timestamp("2024-03-01", tz="UTC")
    events = pd.DataFrame(
        {
            "person_id": ["p", "p", "p"],
            "item_id": ["a", "b", "c"],
            "base_weight": [1.0, 1.0, 1.0],
            "occurred_at": [at - pd.Timedelta(days=10), at - pd.Timedelta(days=3), at],
            "is_purchase": [True, False, False],
        }
    )
    split = holdout_split(events, at, holdout_days=7, half_life_days=7)
    train, test = split.loc[split["split_name"] == "train"], split.loc[split["split_name"] == "test"]
    assert list(train["item_id"]) == ["a"] and train["has_purchased"].all()
    # decayed to the cutoff (3 days before it, half-life 7), not to the as-of date
    assert train["weight"].iloc[0] == pytest.approx(0.5 ** (3 / 7))
    assert sorted(test["item_id"]) == ["b", "c"]
    assert interactions_at(events, at, 7.0)["item_id"].tolist() == ["a", "b"]


def test_stored_factors_score_like_a_direct_fit(shop) -> None:
    """Scoring from the factor table (what the dbt models store) equals fitting and scoring in one go."""
    from tailor.recommend.hybrid import recommend
    from tailor.recommend.pipeline import fit_factors, score_recommendations
    from tailor.recommend.settings import RecsSettings

    settings = RecsSettings()
    as_of = shop.end_at
    factors = fit_factors(shop.interactions, shop.catalog, shop.persons, settings, as_of=as_of)
    stored = score_recommendations(shop.interactions, shop.catalog, shop.persons, factors, settings, as_of=as_of)
    direct = recommend(
        shop.interactions,
        shop.catalog,
        shop.persons,
        cf_params=settings.cf,
        content_params=settings.content,
        params=settings.hybrid,
        as_of=as_of,
    )
    pd.testing.assert_frame_equal(stored.drop(columns="model_version"), direct)


def test_settings_read_the_recommendations_var_strictly() -> None:
    from tailor.recommend.settings import RecsSettings
    from tailor.settings import SettingsError

    settings = RecsSettings.from_mapping(
        '{"factors": 8, "regularization": 0.5, "alpha": 2, "cf_weight": 1.0, "content_weight": 0.0, "top_n": 5,'
        ' "purchase_exclusion_days": null, "eval_ks": [10, 5], "algorithm": "bpr"}'
    )
    assert (settings.cf.factors, settings.cf.regularization, settings.cf.alpha) == (8, 0.5, 2.0)
    assert settings.cf.algorithm == "bpr" and settings.cf.iterations == RecsSettings().cf.iterations
    assert settings.hybrid.n == 5 and settings.hybrid.purchase_exclusion_days is None
    assert settings.eval_ks == (5, 10)
    assert settings.model_version() != RecsSettings().model_version()
    assert RecsSettings.from_mapping(None).model_version() == RecsSettings().model_version()
    with pytest.raises(SettingsError, match="eval_ks"):
        RecsSettings.from_mapping({"eval_ks": [0]})
    with pytest.raises(SettingsError, match="unknown recommendations setting.*: factor;"):
        RecsSettings.from_mapping({"factor": 8})
    with pytest.raises(SettingsError, match="recommendations.factors must be an integer"):
        RecsSettings.from_mapping({"factors": "8"})
    with pytest.raises(SettingsError, match="recommendations.algorithm must be one of"):
        RecsSettings.from_mapping({"algorithm": "svd"})
