"""Offline evaluation on the temporal holdout: ALS, content, hybrid and both popularity baselines, overall,
per segment and per fallback tier (tailor.recommend)."""

import pandas as pd

from tailor.recommend.pipeline import evaluate_split
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = RecsSettings.from_mapping(dbt.config.meta_get("recs_options"))
    as_of_rows = dbt.ref("int_as_of_resolved").df()["as_of_at"]
    as_of = pd.Timestamp(as_of_rows.iloc[0])
    cutoff = as_of - pd.Timedelta(days=settings.eval_holdout_days)
    split = dbt.ref("int_recommendation_interactions_split").df()
    evaluation = evaluate_split(
        split,
        dbt.ref("int_recommendation_items_prepared").df(),
        dbt.ref("int_recommendation_persons_prepared").df(),
        settings,
        cutoff=cutoff.tz_localize("UTC"),
    )
    # a run: the data's as-of date, the model settings and the evaluation settings
    run_id = (
        f"{as_of:%Y-%m-%d %H:%M:%S.%f}|{settings.model_version()}"
        f"|holdout={settings.eval_holdout_days:g}d|max_persons={settings.eval_max_persons}"
    )
    return evaluation.assign(
        evaluation_run_id=run_id,
        model_version=settings.model_version(),
        holdout_days=settings.eval_holdout_days,
        cutoff_at=cutoff,
        as_of_at=as_of,
        train_pair_count=int((split["split_name"] == "train").sum()),
        test_pair_count=int(((split["split_name"] == "test") & (split["weight"] > 0)).sum()),
    )
