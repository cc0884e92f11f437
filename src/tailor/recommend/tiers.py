"""Where each person's recommendations come from: the source codes, tiers and the choice of source per person."""

from __future__ import annotations

import numpy as np

from tailor.recommend.fitting import FittedRecommender
from tailor.recommend.hybrid_params import HybridParams

REC_SOURCES: tuple[str, ...] = ("hybrid", "collaborative", "content", "segment_popularity", "global_popularity")
HYBRID, COLLABORATIVE, CONTENT, SEGMENT_POPULARITY, GLOBAL_POPULARITY = range(5)
NO_SOURCE = -1
MODEL_TIER, SEGMENT_TIER = 2.0, 1.0


def person_sources(fitted: FittedRecommender, params: HybridParams) -> np.ndarray:
    """Personal-model source per person (HYBRID, COLLABORATIVE, CONTENT or NO_SOURCE) under `params`."""
    consent = fitted.has_consent
    cf_ok = consent & (params.cf_weight > 0) & (fitted.cf is not None)
    if fitted.cf is not None:
        cf_ok &= (fitted.cf_person_row >= 0) & (fitted.history_length >= max(params.min_cf_items, 1))
    content_ok = consent & (params.content_weight > 0) & (fitted.content_training_vectors is not None)
    if fitted.content_training_vectors is not None:
        content_ok &= fitted.has_content_profile
    sources = np.full(len(fitted.person_ids), NO_SOURCE, dtype=np.int8)
    sources[content_ok] = CONTENT
    sources[cf_ok] = COLLABORATIVE
    sources[cf_ok & content_ok] = HYBRID
    return sources
