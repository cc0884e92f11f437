"""What int_recommendations_scored reads, and in what order: the dbt model and its benchmark
(`tailor.recommend.bench_refresh`) both call `rows_between_refits`, so the benchmark measures the model's
own reads. `ref` is the model's `dbt.ref` (a DuckDB or Spark relation by name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_from_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.refresh import RefitInputs, fit_id, recommendations_between_refits
from tailor.recommend.settings import RecsSettings


def rows_between_refits(
    ref: Callable[[str], Any], stored_rows: Callable[[str], pd.DataFrame] | None, settings: RecsSettings
) -> pd.DataFrame:
    """The model's rows (`recommendations_between_refits`). `stored_rows(fit)`: the stored rows resting on
    the fit (refresh.rows_on_fit_sql), None on a first build or a full refresh."""
    plan = plan_from_frame(read_frame(ref("int_recommendation_refit_planned")))
    fingerprint = read_frame(ref("int_recommendation_refit_fingerprinted"))["input_fingerprint"]
    fit = fit_id(plan, settings, str(fingerprint.iloc[0]))
    stored = stored_rows(fit) if stored_rows is not None else None
    factors = read_frame(ref("int_recommendation_factors_fitted"))
    changed_persons = read_frame(ref("int_recommendation_persons_changed"))
    # the refit's inputs are views, computed only when the stored rows do not rest on the planned refit
    interactions_refit = ref("int_recommendation_interactions_refit")
    items_refit = ref("int_recommendation_items_refit")
    persons_refit = ref("int_recommendation_persons_refit")
    interactions = ref("int_recommendation_interactions_prepared")
    return recommendations_between_refits(
        stored,
        lambda: RefitInputs(
            read_frame(interactions_refit.select(*INTERACTION_COLUMNS)),
            read_frame(items_refit),
            read_frame(persons_refit),
        ),
        RefitInputs(
            read_frame(interactions.select(*INTERACTION_COLUMNS)),
            read_frame(ref("int_recommendation_items_prepared")),
            read_frame(ref("int_recommendation_persons_prepared")),
        ),
        factors,
        changed_persons["person_id"],
        read_frame(items_refit.filter("is_changed_since_refit").select("item_id"))["item_id"],
        settings,
        plan,
        fit,
    )
