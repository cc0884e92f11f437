"""Grid search over collaborative and blend hyperparameters on a holdout, to pick defaults from data."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from tailor.recommend.collaborative import CFParams, fit_cf
from tailor.recommend.content import ContentParams
from tailor.recommend.data import id_axis
from tailor.recommend.evaluate import RANKING_METRICS, catalog_coverage, user_metrics
from tailor.recommend.hybrid import HybridParams, fit_recommender, recommend_from, with_cf_model

CF_KEYS: tuple[str, ...] = ("algorithm", "factors", "regularization", "iterations", "alpha", "confidence", "epsilon")
BLEND_KEY = "cf_weight"


def grid_search(
    train: pd.DataFrame,
    relevant: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    grid: Mapping[str, Sequence[object]],
    *,
    cf_params: CFParams | None = None,
    content_params: ContentParams | None = None,
    params: HybridParams | None = None,
    k: int = 10,
    as_of: object | None = None,
) -> pd.DataFrame:
    """Hybrid metrics at k for every grid point, best NDCG first.

    `grid` keys: CFParams fields in CF_KEYS and 'cf_weight' (content_weight = 1 - cf_weight). One CF
    fit per CF combination; content, popularity and exclusions are fitted once and blends reuse the fit.
    """
    unknown = set(grid) - set(CF_KEYS) - {BLEND_KEY}
    if unknown:
        raise ValueError(f"unknown grid keys {sorted(unknown)}; expected {list(CF_KEYS)} or {BLEND_KEY!r}")
    cf_params = cf_params or CFParams()
    params = replace(params or HybridParams(), n=max((params or HybridParams()).n, k))
    cf_keys = [key for key in CF_KEYS if key in grid]
    blends = [float(weight) for weight in grid.get(BLEND_KEY, [params.cf_weight])]
    base = fit_recommender(
        train,
        catalog,
        persons,
        content_params=content_params,
        params=replace(params, cf_weight=0.0, content_weight=1.0),
        as_of=as_of,
    )
    users = id_axis(relevant["person_id"])
    rows = []
    for values in itertools.product(*(grid[key] for key in cf_keys)):
        point = dict(zip(cf_keys, values, strict=True))
        started = time.perf_counter()
        fitted = with_cf_model(base, fit_cf(base.training, replace(cf_params, **point)))
        fit_seconds = time.perf_counter() - started
        for weight in blends:
            blend = replace(params, cf_weight=weight, content_weight=1.0 - weight)
            recs = recommend_from(fitted, blend, users)
            per_user = user_metrics(recs, relevant, [k])
            rows.append(
                point
                | {"cf_weight": weight, "content_weight": 1.0 - weight, "fit_seconds": fit_seconds, "k": k}
                | per_user[list(RANKING_METRICS)].mean().to_dict()
                | {"coverage": catalog_coverage(recs, fitted.item_ids, k), "n_users": len(per_user)}
            )
    return pd.DataFrame(rows).sort_values("ndcg", ascending=False, kind="stable", ignore_index=True)
