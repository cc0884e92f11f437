"""The recommender settings and event weights of this build as one row, so online serving folds fresh
activity in with exactly the build's model (tailor.recommend.serving)."""

from tailor.frames import read_frame
from tailor.recommend.serving import serving_model


def model(dbt, session):
    dbt.config(materialized="table")
    return serving_model(dbt.config.meta_get("recs_options"), read_frame(dbt.ref("event_weights")))
