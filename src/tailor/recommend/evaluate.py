"""Offline evaluation: temporal holdout split, ranking metrics and a model comparison table.

Metrics use binary relevance. NDCG uses the log2(rank + 1) discount with the ideal DCG over
min(k, |relevant|) items; AP@k is normalised by min(k, |relevant|); precision@k always divides by k.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from tailor.recommend.collaborative import CFParams
from tailor.recommend.content import ContentParams
from tailor.recommend.data import build_interaction_matrix, id_axis, index_of
from tailor.recommend.hybrid import FittedRecommender, HybridParams, fit_recommender, recommend_from
from tailor.recommend.popularity import item_popularity

MODELS: tuple[str, ...] = ("als", "content", "hybrid", "global_popularity", "segment_popularity")
RANKING_METRICS: tuple[str, ...] = ("precision", "recall", "ndcg", "map", "hit_rate")
NO_SEGMENT = "(none)"


# ---- single-list metrics (the definitions; the vectorised versions below must agree) ----------------


def _hits(recommended: Sequence[object], relevant: Collection[object], k: int) -> list[bool]:
    return [item in relevant for item in list(recommended)[:k]]


def precision_at_k(recommended: Sequence[object], relevant: Collection[object], k: int) -> float:
    """Relevant items among the first k recommendations, divided by k."""
    return sum(_hits(recommended, set(relevant), k)) / k


def recall_at_k(recommended: Sequence[object], relevant: Collection[object], k: int) -> float:
    """Relevant items among the first k recommendations, divided by the number of relevant items."""
    relevant = set(relevant)
    return sum(_hits(recommended, relevant, k)) / len(relevant) if relevant else 0.0


def hit_rate_at_k(recommended: Sequence[object], relevant: Collection[object], k: int) -> float:
    """1.0 when any of the first k recommendations is relevant."""
    return float(any(_hits(recommended, set(relevant), k)))


def ndcg_at_k(recommended: Sequence[object], relevant: Collection[object], k: int) -> float:
    """DCG of the first k (1 / log2(rank + 1) per hit) over the ideal DCG of min(k, |relevant|) hits."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(rank + 1) for rank, hit in enumerate(_hits(recommended, relevant, k), 1) if hit)
    ideal = sum(1.0 / np.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return float(dcg / ideal)


def average_precision_at_k(recommended: Sequence[object], relevant: Collection[object], k: int) -> float:
    """Sum of precision@rank at each hit within the first k, divided by min(k, |relevant|)."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, hit in enumerate(_hits(recommended, relevant, k), 1):
        if hit:
            found += 1
            total += found / rank
    return total / min(k, len(relevant))


def catalog_coverage(recommendations: pd.DataFrame, catalog_item_ids: Iterable[object], k: int) -> float:
    """Share of catalog items that appear in anyone's top k."""
    catalog = set(map(str, catalog_item_ids))
    if not catalog:
        return 0.0
    # unique() first: a set over millions of rows iterates them one by one in Python
    shown = set(recommendations.loc[recommendations["rank"] <= k, "item_id"].astype(str).unique())
    return len(shown & catalog) / len(catalog)


def novelty(recommendations: pd.DataFrame, popularity_share: pd.Series, k: int) -> float:
    """Mean -log2(popularity share) over all top-k recommended items (higher: less obvious items).

    `popularity_share` maps item_id to the share of training users who interacted with it (see
    `popularity_shares`); it must be positive for every recommended item.
    """
    items = recommendations.loc[recommendations["rank"] <= k, "item_id"].astype(str)
    if items.empty:
        return 0.0
    # per distinct item, weighted by how often it is shown: the same mean without a lookup per row
    counts = items.value_counts(sort=False)
    shares = popularity_share.reindex(counts.index.to_numpy(dtype=object)).to_numpy(dtype=np.float64)
    return float(np.sum(counts.to_numpy(dtype=np.float64) * -np.log2(shares)) / len(items))


def popularity_shares(train: pd.DataFrame, item_ids: Iterable[object]) -> pd.Series:
    """Share of training users with a positive interaction per item; unseen items count as one user."""
    items = id_axis(item_ids)
    matrix = build_interaction_matrix(train, item_ids=items).matrix
    n_users = max(matrix.shape[0], 1)
    users = np.maximum(item_popularity(matrix, "users"), 1.0)
    return pd.Series(users / n_users, index=pd.Index(items, dtype="str"), name="popularity_share")


def fitted_popularity_shares(fitted: FittedRecommender) -> pd.Series:
    """`popularity_shares` of the training frame a recommender was fitted on, over its candidate items,
    from the counts the fit already made (no second pass over the training rows)."""
    shares = np.maximum(fitted.candidate_user_counts, 1.0) / max(fitted.interacting_users, 1)
    return pd.Series(shares, index=pd.Index(fitted.item_ids, dtype="str"), name="popularity_share")


# ---- vectorised per-user metrics ---------------------------------------------------------------------


def hit_matrix(
    recommendations: pd.DataFrame, relevant: pd.DataFrame, person_ids: np.ndarray, max_k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(hits: persons x max_k bool by rank, relevant count per person) for the given person axis."""
    relevant = relevant[["person_id", "item_id"]].astype(str).drop_duplicates()
    rel_rows = index_of(person_ids, relevant["person_id"])
    n_relevant = np.bincount(rel_rows[rel_rows >= 0], minlength=len(person_ids))
    recs = recommendations.loc[recommendations["rank"] <= max_k, ["person_id", "rank", "item_id"]]
    rows = index_of(person_ids, recs["person_id"])
    keep = rows >= 0
    recs, rows = recs.loc[keep], rows[keep]
    pairs = pd.MultiIndex.from_frame(relevant)
    is_hit = pd.MultiIndex.from_arrays([recs["person_id"].astype(str), recs["item_id"].astype(str)]).isin(pairs)
    hits = np.zeros((len(person_ids), max_k), dtype=bool)
    hits[rows, recs["rank"].to_numpy(dtype=np.int64) - 1] = is_hit
    return hits, n_relevant


def metrics_from_hits(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-person precision, recall, ndcg, map and hit_rate at k from a hits-by-rank matrix."""
    top = hits[:, :k].astype(np.float64)
    if top.shape[1] < k:
        top = np.pad(top, ((0, 0), (0, k - top.shape[1])))
    found = top.sum(axis=1)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal_cumulative = np.concatenate([[0.0], np.cumsum(discount)])
    denominator = np.minimum(n_relevant, k)
    safe_denominator = np.maximum(denominator, 1)
    ranks = np.arange(1, k + 1)
    precision_at_hits = np.cumsum(top, axis=1) / ranks * top
    return {
        "precision": found / k,
        "recall": np.where(n_relevant > 0, found / np.maximum(n_relevant, 1), 0.0),
        "ndcg": np.where(denominator > 0, (top @ discount) / ideal_cumulative[safe_denominator], 0.0),
        "map": np.where(denominator > 0, precision_at_hits.sum(axis=1) / safe_denominator, 0.0),
        "hit_rate": (found > 0).astype(np.float64),
    }


def user_metrics(recommendations: pd.DataFrame, relevant: pd.DataFrame, ks: Sequence[int]) -> pd.DataFrame:
    """Long per-person table (person_id, k, precision, recall, ndcg, map, hit_rate) for persons with
    at least one relevant item; persons without recommendations score zero."""
    person_ids = id_axis(relevant["person_id"])
    hits, n_relevant = hit_matrix(recommendations, relevant, person_ids, max(ks))
    frames = [
        pd.DataFrame({"person_id": pd.array(person_ids, dtype="str"), "k": k, **metrics_from_hits(hits, n_relevant, k)})
        for k in ks
    ]
    return pd.concat(frames, ignore_index=True)


# ---- split and model comparison ----------------------------------------------------------------------


def temporal_split(
    interactions: pd.DataFrame,
    cutoff: object,
    test_days: float = 7.0,
    *,
    relevance: str | Sequence[str] = "positive",
    time_col: str = "last_interaction_at",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train rows before `cutoff`, relevant person/item pairs in the following `test_days`).

    relevance: 'positive' (weight > 0), 'purchase' (has_purchased), the name of another boolean
    column, or a list of event_type values (e.g. ['add_to_cart', 'purchase']).
    """
    cutoff = pd.to_datetime(cutoff, utc=True)
    times = pd.to_datetime(interactions[time_col], utc=True)
    train = interactions.loc[(times < cutoff).to_numpy()]
    window = ((times >= cutoff) & (times < cutoff + pd.Timedelta(days=float(test_days)))).to_numpy()
    test = interactions.loc[window]
    if isinstance(relevance, str):
        column = {"positive": None, "purchase": "has_purchased"}.get(relevance, relevance)
        is_relevant = test["weight"] > 0 if column is None else test[column].fillna(False).astype(bool)
    else:
        is_relevant = test["event_type"].isin(list(relevance))
    relevant = test.loc[is_relevant.to_numpy(), ["person_id", "item_id"]].astype(str).drop_duplicates()
    return train, relevant.sort_values(["person_id", "item_id"], ignore_index=True)


def model_params(model: str, params: HybridParams) -> HybridParams:
    """HybridParams that serve one named model; every model falls back to global popularity."""
    variants = {
        "hybrid": {},
        "als": {"cf_weight": 1.0, "content_weight": 0.0, "use_segment_popularity": False, "min_cf_items": 1},
        "content": {"cf_weight": 0.0, "content_weight": 1.0, "use_segment_popularity": False},
        "global_popularity": {"cf_weight": 0.0, "content_weight": 0.0, "use_segment_popularity": False},
        "segment_popularity": {"cf_weight": 0.0, "content_weight": 0.0, "use_segment_popularity": True},
    }
    if model not in variants:
        raise ValueError(f"unknown model {model!r}; expected one of {sorted(variants)}")
    return replace(params, **variants[model])


def slice_metrics(
    recommendations: pd.DataFrame,
    per_user: pd.DataFrame,
    slices: pd.DataFrame,
    catalog_item_ids: np.ndarray,
    shares: pd.Series,
    ks: Sequence[int],
) -> pd.DataFrame:
    """Long table (slice_type, slice_value, metric, k, value, n_users) of means and list metrics per slice.

    `slices` has person_id, slice_type, slice_value (one row per person and slice type).
    """
    joined = per_user.merge(slices, on="person_id")
    means = joined.groupby(["slice_type", "slice_value", "k"], sort=True)[list(RANKING_METRICS)].mean()
    counts = joined.groupby(["slice_type", "slice_value", "k"], sort=True)["person_id"].nunique()
    rows = (
        means.join(counts.rename("n_users"))
        .reset_index()
        .melt(id_vars=["slice_type", "slice_value", "k", "n_users"], var_name="metric", value_name="value")
    )
    list_rows = []
    recs = recommendations[["person_id", "rank", "item_id"]].merge(slices, on="person_id")
    for (slice_type, slice_value), group in recs.groupby(["slice_type", "slice_value"], sort=True):
        n_users = int(counts.xs((slice_type, slice_value), level=(0, 1)).iloc[0]) if len(counts) else 0
        for k in ks:
            list_rows.append(
                (slice_type, slice_value, k, n_users, "coverage", catalog_coverage(group, catalog_item_ids, k))
            )
            list_rows.append((slice_type, slice_value, k, n_users, "novelty", novelty(group, shares, k)))
    extra = pd.DataFrame(list_rows, columns=["slice_type", "slice_value", "k", "n_users", "metric", "value"])
    return pd.concat([rows, extra], ignore_index=True)


def evaluate_models(
    train: pd.DataFrame,
    relevant: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    models: Sequence[str] = MODELS,
    ks: Sequence[int] = (10,),
    cf_params: CFParams | None = None,
    content_params: ContentParams | None = None,
    params: HybridParams | None = None,
    as_of: object | None = None,
    fitted: FittedRecommender | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Compare models on held-out relevant pairs: long table (model, slice_type, slice_value, metric, k,
    value, n_users), sliced overall, per segment and per fallback tier (the rec_source the full hybrid
    chain serves each person at rank 1). Only persons in `persons` with a relevant item are evaluated.
    `threads`: blocks of persons scored at once (see `recommend_from`).
    """
    params = params or HybridParams()
    ks = sorted(set(ks))
    params = replace(params, n=max(params.n, max(ks)))
    if fitted is None:
        fitting = replace(params, cf_weight=1.0, content_weight=1.0)
        fitted = fit_recommender(
            train, catalog, persons, cf_params=cf_params, content_params=content_params, params=fitting, as_of=as_of
        )
    evaluated = relevant.loc[relevant["person_id"].astype(str).isin(set(fitted.person_ids))]
    users = id_axis(evaluated["person_id"])
    recommendations = {
        model: recommend_from(fitted, model_params(model, params), users, threads=threads) for model in models
    }
    hybrid = recommendations.get("hybrid")
    if hybrid is None:
        hybrid = recommend_from(fitted, model_params("hybrid", params), users, threads=threads)
    slices = _slices(users, persons, hybrid)
    shares = fitted_popularity_shares(fitted)
    frames = []
    for model, recs in recommendations.items():
        per_user = user_metrics(recs, evaluated, ks)
        table = slice_metrics(recs, per_user, slices, fitted.item_ids, shares, ks)
        frames.append(table.assign(model=model))
    columns = ["model", "slice_type", "slice_value", "metric", "k", "value", "n_users"]
    result = pd.concat(frames, ignore_index=True)[columns]
    result["n_users"] = result["n_users"].astype(np.int64)
    return result.sort_values(columns[:5], ignore_index=True)


def _slices(users: np.ndarray, persons: pd.DataFrame, hybrid: pd.DataFrame) -> pd.DataFrame:
    users = pd.Series(users, dtype="str", name="person_id")
    people = persons.drop_duplicates("person_id").assign(person_id=lambda f: f["person_id"].astype(str))
    segment = users.to_frame().merge(people[["person_id", "segment_id"]], on="person_id", how="left")
    tier = hybrid.loc[hybrid["rank"] == 1, ["person_id", "rec_source"]]
    served = users.to_frame().merge(tier, on="person_id", how="left")
    return pd.concat(
        [
            pd.DataFrame({"person_id": users, "slice_type": "overall", "slice_value": "all"}),
            pd.DataFrame(
                {
                    "person_id": segment["person_id"],
                    "slice_type": "segment",
                    "slice_value": segment["segment_id"].astype(object).fillna(NO_SEGMENT).astype(str),
                }
            ),
            pd.DataFrame(
                {
                    "person_id": served["person_id"],
                    "slice_type": "tier",
                    "slice_value": served["rec_source"].astype(object).fillna("none").astype(str),
                }
            ),
        ],
        ignore_index=True,
    )


def evaluate_holdout(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    cutoff: object,
    *,
    test_days: float = 7.0,
    relevance: str | Sequence[str] = "positive",
    **kwargs: object,
) -> pd.DataFrame:
    """Split at `cutoff` and run `evaluate_models` with as_of = cutoff (no look-ahead in exclusions)."""
    train, relevant = temporal_split(interactions, cutoff, test_days, relevance=relevance)
    return evaluate_models(train, relevant, catalog, persons, as_of=cutoff, **kwargs)
