"""What the dbt Python models and `tailor recommend` call: frames in, output tables out.

The collaborative factors are fitted once and stored as a table (`fit_factors`), so scoring, similar items
and folding in new persons all start from the same fit instead of refitting.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from tailor.recommend.collaborative import CFModel, CFParams, similar_items
from tailor.recommend.content import fit_content, item_vectors_for
from tailor.recommend.data import id_axis
from tailor.recommend.evaluate import evaluate_models
from tailor.recommend.hybrid import fit_recommender, recommend_from, with_cf_model
from tailor.recommend.settings import RecsSettings
from tailor.recommend.topk import iter_blocks, top_k_rows

FACTOR_COLUMNS: tuple[str, ...] = ("person_id", "item_id", "factors")
SIMILAR_COLUMNS: tuple[str, ...] = (
    "item_id",
    "rank",
    "similar_item_id",
    "score",
    "similarity_source",
    "model_version",
)


def fit_factors(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    as_of: object | None = None,
) -> pd.DataFrame:
    """Collaborative factors as a table: one row per consenting person and per item the model knows.

    Columns person_id (null on item rows), item_id (null on person rows), factors (list of floats).
    """
    cf_only = replace(settings.hybrid, cf_weight=1.0, content_weight=0.0)
    fitted = fit_recommender(interactions, catalog, persons, cf_params=settings.cf, params=cf_only, as_of=as_of)
    return factor_table(fitted.cf)


def factor_table(model: CFModel) -> pd.DataFrame:
    """A CFModel's user and item factors as rows (see `fit_factors`)."""
    persons = pd.DataFrame(
        {
            "person_id": pd.array(model.user_ids, dtype="str"),
            "item_id": pd.array([None] * len(model.user_ids), dtype="str"),
            "factors": list(model.user_factors.astype(np.float64)),
        }
    )
    items = pd.DataFrame(
        {
            "person_id": pd.array([None] * len(model.item_ids), dtype="str"),
            "item_id": pd.array(model.item_ids, dtype="str"),
            "factors": list(model.item_factors.astype(np.float64)),
        }
    )
    return pd.concat([persons, items], ignore_index=True)[list(FACTOR_COLUMNS)]


def _stacked(vectors: pd.Series, width: int) -> np.ndarray:
    if len(vectors) == 0:
        return np.zeros((0, width), dtype=np.float32)
    return np.ascontiguousarray(np.stack([np.asarray(vector, dtype=np.float32) for vector in vectors]))


def cf_model_from_factors(factors: pd.DataFrame, params: CFParams) -> CFModel:
    """Rebuild the CFModel from a factor table, on sorted id axes as every model in the package expects."""
    person_rows = factors.loc[factors["person_id"].notna()].sort_values("person_id", kind="stable")
    item_rows = factors.loc[factors["item_id"].notna()].sort_values("item_id", kind="stable")
    width = len(factors["factors"].iloc[0]) if len(factors) else params.factors
    return CFModel(
        user_factors=_stacked(person_rows["factors"], width),
        item_factors=_stacked(item_rows["factors"], width),
        user_ids=person_rows["person_id"].astype(str).to_numpy(dtype=object),
        item_ids=item_rows["item_id"].astype(str).to_numpy(dtype=object),
        params=params,
    )


def score_recommendations(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    factors: pd.DataFrame,
    settings: RecsSettings,
    as_of: object | None = None,
) -> pd.DataFrame:
    """N recommendations for every person from stored factors plus content and popularity fitted here.

    Columns person_id, rank, item_id, score, confidence, rec_source, model_version.
    """
    without_cf = replace(settings.hybrid, cf_weight=0.0)
    fitted = fit_recommender(
        interactions, catalog, persons, content_params=settings.content, params=without_cf, as_of=as_of
    )
    if settings.hybrid.cf_weight > 0:
        fitted = with_cf_model(fitted, cf_model_from_factors(factors, settings.cf))
    recommendations = recommend_from(fitted, settings.hybrid)
    return recommendations.assign(model_version=settings.model_version())


def similar_item_table(factors: pd.DataFrame, catalog: pd.DataFrame, settings: RecsSettings) -> pd.DataFrame:
    """Top similar active items for every catalog item: cosine of CF item factors where the model knows
    the item, of content (TF-IDF) vectors otherwise, so new items get neighbours too.

    Columns item_id, rank, similar_item_id, score, similarity_source ('collaborative' or 'content'),
    model_version.
    """
    k = settings.similar_items_k
    items = catalog.drop_duplicates("item_id")
    all_items = id_axis(items["item_id"])
    is_active = items["is_active"].fillna(False).astype(bool) if "is_active" in items else True
    active = id_axis(items.loc[is_active, "item_id"]) if "is_active" in items else all_items
    model = cf_model_from_factors(factors, settings.cf)
    known = np.isin(model.item_ids, active)
    frames = []
    if known.sum() > 1:
        # neighbours are drawn from active items only: the model restricted to them
        active_model = replace(model, item_factors=model.item_factors[known], item_ids=model.item_ids[known])
        frames.append(similar_items(active_model, k).assign(similarity_source="collaborative"))
    covered = set(model.item_ids[known])
    cold = np.array([item for item in all_items if item not in covered], dtype=object)
    if cold.size and active.size:
        frames.append(_content_neighbours(catalog, cold, active, k))
    if not frames:
        return pd.DataFrame({column: [] for column in SIMILAR_COLUMNS})
    table = pd.concat(frames, ignore_index=True).assign(model_version=settings.model_version())
    return table[list(SIMILAR_COLUMNS)]


def _content_neighbours(
    catalog: pd.DataFrame, anchors: np.ndarray, candidates: np.ndarray, k: int, block_size: int = 1024
) -> pd.DataFrame:
    """Top-k content-similar candidates per anchor item (cosine of TF-IDF vectors, positive only, never the
    item itself), in blocks of anchors so memory stays bounded on large catalogs."""
    model = fit_content(catalog)
    anchor_vectors = item_vectors_for(model, anchors)
    candidates_t = item_vectors_for(model, candidates).T.tocsc()
    k = min(k, len(candidates))
    frames = []
    for start, stop in iter_blocks(len(anchors), block_size):
        scores = np.asarray((anchor_vectors[start:stop] @ candidates_t).todense(), dtype=np.float32)
        scores[anchors[start:stop, None] == candidates[None, :]] = -np.inf
        scores[scores <= 0] = -np.inf
        indices, values = top_k_rows(scores, k)
        valid = np.isfinite(values)
        rows, ranks = np.nonzero(valid)
        frames.append(
            pd.DataFrame(
                {
                    "item_id": pd.array(anchors[start:stop][rows], dtype="str"),
                    "rank": (ranks + 1).astype(np.int32),
                    "similar_item_id": pd.array(candidates[indices[valid]], dtype="str"),
                    "score": values[valid].astype(np.float64),
                    "similarity_source": "content",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def evaluate_split(
    split: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    cutoff: object,
) -> pd.DataFrame:
    """Holdout evaluation from a train/test frame (`split_name` column): every model, every slice.

    Train rows are the recommender input as of `cutoff`; test rows with a positive weight are the relevant
    pairs. Returns evaluate_models' long table (model, slice_type, slice_value, metric, k, value, n_users).
    """
    train = split.loc[split["split_name"] == "train"]
    test = split.loc[(split["split_name"] == "test") & (split["weight"] > 0)]
    relevant = test[["person_id", "item_id"]].astype(str).drop_duplicates()
    return evaluate_models(
        train,
        relevant,
        catalog,
        persons,
        ks=settings.eval_ks,
        cf_params=settings.cf,
        content_params=settings.content,
        params=settings.hybrid,
        as_of=cutoff,
    )
