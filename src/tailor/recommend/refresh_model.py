"""What int_recommendations_scored reads, and in what order: the dbt model and its benchmark
(`tailor.recommend.bench_refresh`) both call `rows_between_refits`, so the benchmark measures the model's
own reads. The model names its inputs with literal `dbt.ref` calls (dbt finds a Python model's parents by
reading them); `INPUT_MODELS` names the same models for the benchmark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_from_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.refresh import RefitInputs, fit_id, recommendations_between_refits
from tailor.recommend.settings import RecsSettings


@dataclass(frozen=True)
class ScoredInputs:
    """The relations (DuckDB or Spark, what `dbt.ref` returns) int_recommendations_scored reads."""

    plan: Any
    fingerprint: Any
    factors: Any
    changed_persons: Any
    # views over the history, computed only when the stored rows do not rest on the planned refit
    interactions_refit: Any
    items_refit: Any
    persons_refit: Any
    interactions: Any
    items: Any
    persons: Any


INPUT_MODELS: dict[str, str] = {
    "plan": "int_recommendation_refit_planned",
    "fingerprint": "int_recommendation_refit_fingerprinted",
    "factors": "int_recommendation_factors_fitted",
    "changed_persons": "int_recommendation_persons_changed",
    "interactions_refit": "int_recommendation_interactions_refit",
    "items_refit": "int_recommendation_items_refit",
    "persons_refit": "int_recommendation_persons_refit",
    "interactions": "int_recommendation_interactions_prepared",
    "items": "int_recommendation_items_prepared",
    "persons": "int_recommendation_persons_prepared",
}


def scored_inputs(relation: Callable[[str], Any]) -> ScoredInputs:
    """`ScoredInputs` by model name (`relation`: e.g. a DuckDB connection's `table`)."""
    return ScoredInputs(**{field.name: relation(INPUT_MODELS[field.name]) for field in fields(ScoredInputs)})


def rows_between_refits(
    inputs: ScoredInputs, stored_rows: Callable[[str], pd.DataFrame] | None, settings: RecsSettings
) -> pd.DataFrame:
    """The model's rows (`recommendations_between_refits`). `stored_rows(fit)`: the stored rows resting on
    the fit (refresh.rows_on_fit_sql), None on a first build or a full refresh."""
    plan = plan_from_frame(read_frame(inputs.plan))
    fingerprint = read_frame(inputs.fingerprint)["input_fingerprint"]
    fit = fit_id(plan, settings, str(fingerprint.iloc[0]))
    stored = stored_rows(fit) if stored_rows is not None else None
    factors = read_frame(inputs.factors)
    changed_persons = read_frame(inputs.changed_persons)
    return recommendations_between_refits(
        stored,
        lambda: RefitInputs(
            read_frame(inputs.interactions_refit.select(*INTERACTION_COLUMNS)),
            read_frame(inputs.items_refit),
            read_frame(inputs.persons_refit),
        ),
        lambda: RefitInputs(
            read_frame(inputs.interactions.select(*INTERACTION_COLUMNS)),
            read_frame(inputs.items),
            read_frame(inputs.persons),
        ),
        factors,
        changed_persons["person_id"],
        read_frame(inputs.items_refit.filter("is_changed_since_refit").select("item_id"))["item_id"],
        settings,
        plan,
        fit,
    )
