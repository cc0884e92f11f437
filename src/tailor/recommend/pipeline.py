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
from tailor.recommend.hybrid import FittedRecommender, fit_recommender, recommend_from, with_cf_model
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
    recommendations = scored_rows(interactions, catalog, persons, factors, settings, as_of)
    return recommendations.assign(model_version=settings.model_version())


def scored_rows(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    factors: pd.DataFrame,
    settings: RecsSettings,
    as_of: object | None = None,
) -> pd.DataFrame:
    """`score_recommendations` without the model_version column (callers that stamp it once, on the
    whole table, keep one copy of that string instead of one per row)."""
    without_cf = replace(settings.hybrid, cf_weight=0.0)
    fitted = fit_recommender(
        interactions, catalog, persons, content_params=settings.content, params=without_cf, as_of=as_of
    )
    if settings.hybrid.cf_weight > 0:
        fitted = with_cf_model(fitted, cf_model_from_factors(factors, settings.cf))
    return recommend_from(fitted, settings.hybrid, threads=settings.score_threads)


def similar_item_table(factors: pd.DataFrame, catalog: pd.DataFrame, settings: RecsSettings) -> pd.DataFrame:
    """Top similar active items for every catalog item: cosine of CF item factors for active items the
    model knows, of content (TF-IDF) vectors for the rest (new or inactive items), so every item gets some.

    Columns item_id, rank, similar_item_id, score, similarity_source ('collaborative' or 'content'),
    model_version.
    """
    k = settings.similar_items_k
    items = catalog.drop_duplicates("item_id")
    all_items = id_axis(items["item_id"])
    is_active = items["is_active"].fillna(False).astype(bool) if "is_active" in items else True
    active = id_axis(items.loc[is_active, "item_id"]) if "is_active" in items else all_items
    model = cf_model_from_factors(factors, settings.cf)
    known = pd.Index(model.item_ids).isin(active)
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


def sample_persons(person_ids: pd.Series, limit: int | None) -> np.ndarray:
    """At most `limit` of the distinct persons, chosen by a hash of the id: the same person is in or out
    whatever else is in the data, so successive runs evaluate mostly the same persons. None: everyone."""
    persons = pd.Series(pd.unique(person_ids.astype(str)), dtype=object)
    if limit is None or len(persons) <= limit:
        return persons.to_numpy()
    hashes = pd.util.hash_pandas_object(persons, index=False).to_numpy()
    return persons.to_numpy()[np.argsort(hashes, kind="stable")[:limit]]


def evaluate_split(
    split: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    cutoff: object,
) -> pd.DataFrame:
    """`evaluate_train_test` on one frame whose `split_name` column says train or test."""
    train = split.loc[split["split_name"] == "train"]
    test = split.loc[split["split_name"] == "test"]
    return evaluate_train_test(train, test, catalog, persons, settings, cutoff)


def evaluate_train_test(
    train: pd.DataFrame,
    test: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    cutoff: object,
    fitted: FittedRecommender | None = None,
) -> pd.DataFrame:
    """Holdout evaluation: every model, every slice.

    `train` rows are the recommender input as of `cutoff`; `test` rows with a positive weight are the
    relevant pairs, for at most `settings.eval_max_persons` persons (a stable hash sample). Returns
    evaluate_models' long table (model, slice_type, slice_value, metric, k, value, n_users). `fitted`: the
    recommender fitted on `train` already (None: fitted here).
    """
    relevant = test.loc[test["weight"] > 0, ["person_id", "item_id"]].astype(str).drop_duplicates()
    relevant = relevant.loc[
        relevant["person_id"].isin(sample_persons(relevant["person_id"], settings.eval_max_persons))
    ]
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
        fitted=fitted,
        threads=settings.score_threads,
    )


# ---- bring your own data: an interactions file and a catalog file --------------------------------------

USER_COLUMNS: tuple[str, ...] = ("person_id", "user_id", "user", "customer_id", "visitor_id")
ITEM_COLUMNS: tuple[str, ...] = ("item_id", "item", "product_id", "sku")
TIME_COLUMNS: tuple[str, ...] = ("timestamp", "occurred_at", "event_at", "ts", "time", "date")
WEIGHT_COLUMNS: tuple[str, ...] = ("weight", "rating", "value", "quantity")
EVENT_COLUMNS: tuple[str, ...] = ("event_type", "event", "action", "interaction_type")


def find_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], role: str) -> str | None:
    """The column to use for `role`: `wanted` if given (must exist), else the first candidate present."""
    if wanted:
        if wanted not in frame.columns:
            raise ValueError(f"{role} column {wanted!r} not found; columns are {list(frame.columns)}")
        return wanted
    lowered = {str(column).lower(): column for column in frame.columns}
    return next((lowered[name] for name in candidates if name in lowered), None)


def standard_events(
    raw: pd.DataFrame,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    time_col: str | None = None,
    weight_col: str | None = None,
    event_col: str | None = None,
    purchase_events: tuple[str, ...] = ("purchase", "order", "buy", "transaction"),
) -> pd.DataFrame:
    """Any user/item/timestamp file as events: person_id, item_id, base_weight, occurred_at, is_purchase.

    Weight: the weight or rating column when present (rows without a positive one carry no preference),
    else 1 per row. Purchases: rows whose event column names a purchase; none without an event column.
    """
    columns = {
        "user": find_column(raw, user_col, USER_COLUMNS, "user"),
        "item": find_column(raw, item_col, ITEM_COLUMNS, "item"),
        "timestamp": find_column(raw, time_col, TIME_COLUMNS, "timestamp"),
    }
    missing = [role for role, column in columns.items() if column is None]
    if missing:
        raise ValueError(f"interactions need {', '.join(missing)} column(s); columns are {list(raw.columns)}")
    weight = find_column(raw, weight_col, WEIGHT_COLUMNS, "weight")
    event = find_column(raw, event_col, EVENT_COLUMNS, "event")
    events = pd.DataFrame(
        {
            "person_id": raw[columns["user"]].astype("str"),
            "item_id": raw[columns["item"]].astype("str"),
            "base_weight": pd.to_numeric(raw[weight], errors="coerce").fillna(0.0) if weight else 1.0,
            "occurred_at": pd.to_datetime(raw[columns["timestamp"]], utc=True, errors="coerce"),
            "is_purchase": raw[event].astype("str").str.lower().isin(purchase_events) if event else False,
        }
    )
    keep = events["person_id"].notna() & events["item_id"].notna() & events["occurred_at"].notna()
    return events.loc[keep].reset_index(drop=True)


def interactions_at(events: pd.DataFrame, at: pd.Timestamp, half_life_days: float) -> pd.DataFrame:
    """The recommender input as known at `at`, one row per event before it: weight decayed to `at` (halving
    every `half_life_days`), purchases flagged with their time."""
    known = events.loc[events["occurred_at"] < at]
    age_days = ((at - known["occurred_at"]).dt.total_seconds() / 86_400.0).clip(lower=0.0)
    return pd.DataFrame(
        {
            "person_id": known["person_id"],
            "item_id": known["item_id"],
            "weight": known["base_weight"] * np.exp(-np.log(2.0) * age_days / half_life_days),
            "last_interaction_at": known["occurred_at"],
            "has_purchased": known["is_purchase"],
            "last_purchased_at": known["occurred_at"].where(known["is_purchase"]),
        }
    ).reset_index(drop=True)


def holdout_split(
    events: pd.DataFrame, as_of: pd.Timestamp, holdout_days: float, half_life_days: float
) -> pd.DataFrame:
    """The frame `evaluate_split` reads: `train` = input as known at the cutoff (as_of - holdout_days),
    `test` = events from the cutoff up to as_of, base weights summed per person x item."""
    cutoff = as_of - pd.Timedelta(days=holdout_days)
    train = interactions_at(events, cutoff, half_life_days).assign(split_name="train")
    window = events.loc[(events["occurred_at"] >= cutoff) & (events["occurred_at"] <= as_of)]
    test = (
        window.groupby(["person_id", "item_id"], as_index=False, sort=True)
        .agg(weight=("base_weight", "sum"), last_interaction_at=("occurred_at", "max"))
        .assign(split_name="test", has_purchased=False, last_purchased_at=pd.NaT)
    )
    return pd.concat([train, test], ignore_index=True)


def standard_catalog(raw: pd.DataFrame, item_col: str | None = None) -> pd.DataFrame:
    """A catalog file as the recommenders read it: item_id plus whatever of title, description, category,
    brand, tags ('|' separated text or lists) and is_active it has (missing is_active: all active)."""
    item = find_column(raw, item_col, ITEM_COLUMNS + ("id",), "item")
    if item is None:
        raise ValueError(f"the catalog needs an item id column; columns are {list(raw.columns)}")
    catalog = raw.rename(columns={item: "item_id"}).assign(item_id=lambda frame: frame["item_id"].astype("str"))
    if "is_active" not in catalog:
        catalog["is_active"] = True
    return catalog.drop_duplicates("item_id").reset_index(drop=True)


def standard_persons(events: pd.DataFrame, raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """Persons to recommend for: a persons file (person/user id, optional has_personalization_consent and
    segment_id) or, without one, every user in the events, all consenting, no segments."""
    if raw is None:
        ids = id_axis(events["person_id"])
        return pd.DataFrame(
            {
                "person_id": pd.array(ids, dtype="str"),
                "has_personalization_consent": True,
                "segment_id": pd.array([None] * len(ids), dtype="str"),
            }
        )
    user = find_column(raw, None, USER_COLUMNS, "user")
    if user is None:
        raise ValueError(f"the persons file needs a user id column; columns are {list(raw.columns)}")
    persons = raw.rename(columns={user: "person_id"}).assign(person_id=lambda frame: frame["person_id"].astype("str"))
    if "has_personalization_consent" not in persons:
        persons["has_personalization_consent"] = True
    if "segment_id" not in persons:
        persons["segment_id"] = None
    return persons[["person_id", "has_personalization_consent", "segment_id"]].drop_duplicates("person_id")
