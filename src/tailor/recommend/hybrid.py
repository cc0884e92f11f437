"""Hybrid recommendations for every person: blended collaborative + content scores with a fallback chain.

Tiers, best first: a personal model (hybrid, collaborative or content) -> segment popularity -> global
popularity. All tiers are scored together per block of persons as one key matrix whose value ranges do
not overlap (model 2..3, segment 1..2, global 0..1), so a single top-k per block picks model items first
and fills the rest of the N slots from popularity, with no per-person Python loop.
"""

from __future__ import annotations

import pandas as pd

from tailor.recommend.collaborative import CFParams
from tailor.recommend.content import ContentParams
from tailor.recommend.fitting import (
    FittedRecommender,
    content_profiles,
    fit_recommender,
    with_cf_model,
    with_content_model,
)
from tailor.recommend.hybrid_params import HybridParams
from tailor.recommend.scoring import OUTPUT_COLUMNS, recommend_from
from tailor.recommend.scoring_plan import BLOCK_BUDGET_BYTES
from tailor.recommend.tiers import REC_SOURCES, person_sources

__all__ = [
    "BLOCK_BUDGET_BYTES",
    "OUTPUT_COLUMNS",
    "REC_SOURCES",
    "FittedRecommender",
    "HybridParams",
    "content_profiles",
    "fit_recommender",
    "person_sources",
    "recommend",
    "recommend_from",
    "with_cf_model",
    "with_content_model",
]


def recommend(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    *,
    cf_params: CFParams | None = None,
    content_params: ContentParams | None = None,
    params: HybridParams | None = None,
    as_of: object | None = None,
) -> pd.DataFrame:
    """Fit all tiers and return N recommendations for every person in `persons` (see `recommend_from`)."""
    fitted = fit_recommender(
        interactions,
        catalog,
        persons,
        cf_params=cf_params,
        content_params=content_params,
        params=params,
        as_of=as_of,
    )
    return recommend_from(fitted, params)
