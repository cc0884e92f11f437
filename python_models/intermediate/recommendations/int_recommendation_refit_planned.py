"""The refit this build's recommendations rest on, one row: its date, the instant its data is as of, and why
(cadence, retraining flag or erasure; tailor.recommend.cadence)."""

import pandas as pd

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_frame, plan_refit
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    as_of = read_frame(dbt.ref("int_as_of_resolved"))["as_of_at"]
    monitoring_runs = dbt.ref("fct_model_monitoring").select("as_of_at", "is_retraining_needed")
    erasures = dbt.ref("int_persons_erased").select("requested_at")
    plan = plan_refit(
        pd.Timestamp(as_of.iloc[0]),
        settings.refit_every_days,
        read_frame(monitoring_runs),
        read_frame(erasures)["requested_at"],
    )
    return plan_frame(plan)
