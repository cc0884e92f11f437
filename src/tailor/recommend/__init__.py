"""Recommendations: collaborative filtering, content similarity, popularity fallbacks and their evaluation.

Pure functions over pandas frames and scipy matrices, so dbt Python models only load inputs and call them.
"""

from tailor.recommend.collaborative import (
    CFModel,
    CFParams,
    fit_cf,
    recalculate_user,
    recalculate_users,
    recommend_cf,
    similar_items,
)
from tailor.recommend.content import ContentModel, ContentParams, fit_content, user_profiles
from tailor.recommend.data import InteractionMatrix, build_interaction_matrix, exclusion_matrix
from tailor.recommend.evaluate import evaluate_holdout, evaluate_models, temporal_split, user_metrics
from tailor.recommend.hybrid import (
    REC_SOURCES,
    FittedRecommender,
    HybridParams,
    fit_recommender,
    recommend,
    recommend_from,
)
from tailor.recommend.topk import blocked_top_k
from tailor.recommend.tuning import grid_search

__all__ = [
    "REC_SOURCES",
    "CFModel",
    "CFParams",
    "ContentModel",
    "ContentParams",
    "FittedRecommender",
    "HybridParams",
    "InteractionMatrix",
    "blocked_top_k",
    "build_interaction_matrix",
    "evaluate_holdout",
    "evaluate_models",
    "exclusion_matrix",
    "fit_cf",
    "fit_content",
    "fit_recommender",
    "grid_search",
    "recalculate_user",
    "recalculate_users",
    "recommend",
    "recommend_cf",
    "recommend_from",
    "similar_items",
    "temporal_split",
    "user_metrics",
    "user_profiles",
]
