"""Offline evaluation on the temporal holdout: ALS, content, hybrid and both popularity baselines, overall,
per segment and per fallback tier (tailor.recommend). A stored run is kept until it is `recommendations.eval_every_days`
old or the settings change (RecsSettings.evaluation_due): evaluating is the recommender's slowest step and
need not follow every day's data."""

import duckdb
import pandas as pd

from tailor.frames import read_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.pipeline import evaluate_train_test
from tailor.recommend.settings import RecsSettings


def stored_evaluation(session, relation) -> pd.DataFrame | None:
    """The run this model stored on the previous build, or None on the first build."""
    try:
        return read_frame(session.sql(f"select * from {relation}"))
    except duckdb.CatalogException:
        return None


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    as_of_rows = read_frame(dbt.ref("int_as_of_resolved"))["as_of_at"]
    as_of = pd.Timestamp(as_of_rows.iloc[0])
    stored = stored_evaluation(session, dbt.this)
    stored_run_id = None if stored is None or stored.empty else str(stored["evaluation_run_id"].iloc[0])
    if not settings.evaluation_due(stored_run_id, as_of):
        return stored
    cutoff = as_of - pd.Timedelta(days=settings.eval_holdout_days)
    # split and project in the warehouse: only the columns the recommenders read come into Python
    split = dbt.ref("int_recommendation_interactions_split")
    train = read_frame(split.filter("split_name = 'train'").select(*INTERACTION_COLUMNS))
    test = read_frame(split.filter("split_name = 'test' and weight > 0").select(*INTERACTION_COLUMNS))
    evaluation = evaluate_train_test(
        train,
        test,
        read_frame(dbt.ref("int_recommendation_items_prepared")),
        read_frame(dbt.ref("int_recommendation_persons_prepared")),
        settings,
        cutoff=cutoff.tz_localize("UTC"),
    )
    return evaluation.assign(
        evaluation_run_id=settings.evaluation_run_id(as_of),
        model_version=settings.model_version(),
        holdout_days=settings.eval_holdout_days,
        cutoff_at=cutoff,
        as_of_at=as_of,
        train_pair_count=len(train),
        test_pair_count=len(test),
    )
