"""What online serving needs of a build, as two small tables the publish step copies with the marts.

The HTTP service (`tailor serve`) reads only the published copy. To fold a visitor's fresh activity in
against the fitted model it needs the item factors, which items may be recommended, the global popularity
the fallback tier ranks by, and the exact settings and event weights of the build. These functions turn a
build's frames into those tables; `tailor.recommend.session` turns them back into a scorer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tailor.recommend.data import build_interaction_matrix, id_axis, index_of
from tailor.recommend.popularity import item_popularity
from tailor.recommend.settings import RecsSettings

SERVING_ITEM_COLUMNS: tuple[str, ...] = ("item_id", "is_active", "popularity", "factors", "model_version")
SERVING_MODEL_COLUMNS: tuple[str, ...] = ("model_version", "recs_options", "event_weights")


def serving_items(
    interactions: pd.DataFrame, catalog: pd.DataFrame, factors: pd.DataFrame, settings: RecsSettings
) -> pd.DataFrame:
    """One row per catalog item: item_id, is_active, popularity (the global-popularity tier's measure over
    everyone's interactions, as `fit_recommender` computes it), factors (the fitted item factors; null for
    items the model does not know) and model_version."""
    items = catalog.drop_duplicates("item_id")
    catalog_ids = id_axis(items["item_id"])
    everyone = build_interaction_matrix(interactions, item_ids=catalog_ids)
    popularity = item_popularity(everyone.matrix, settings.hybrid.popularity_metric)
    active_ids = set(items.loc[items["is_active"].fillna(False).astype(bool), "item_id"].astype(str))
    item_rows = factors.loc[factors["item_id"].notna()]
    positions = index_of(id_axis(item_rows["item_id"]), pd.Series(catalog_ids, dtype=object))
    vectors = item_rows.sort_values("item_id", kind="stable")["factors"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "item_id": pd.array(catalog_ids, dtype="str"),
            "is_active": np.array([item in active_ids for item in catalog_ids], dtype=bool),
            "popularity": popularity.astype(np.float64),
            "factors": [np.asarray(vectors[p], dtype=np.float64) if p >= 0 else None for p in positions],
            "model_version": settings.model_version(),
        }
    )[list(SERVING_ITEM_COLUMNS)]


def serving_model(recs_options: Mapping[str, Any] | None, event_weights: pd.DataFrame) -> pd.DataFrame:
    """One row: model_version, recs_options (the build's recommender settings as JSON, read back with
    `RecsSettings.from_mapping`) and event_weights (event type -> weight, JSON, from the seed)."""
    options = {str(key): str(value) for key, value in (recs_options or {}).items()}
    weights = {str(row.event_type): float(row.weight) for row in event_weights.itertuples(index=False)}
    return pd.DataFrame(
        {
            "model_version": [RecsSettings.from_mapping(options).model_version()],
            "recs_options": [json.dumps(options, sort_keys=True)],
            "event_weights": [json.dumps(weights, sort_keys=True)],
        }
    )
