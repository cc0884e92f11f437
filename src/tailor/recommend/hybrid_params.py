"""The hybrid recommender's parameters: blend, fallbacks, exclusions, confidence, block size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tailor.recommend.popularity import (
    PopularityMetric,
)
from tailor.recommend.topk import DEFAULT_BLOCK_SIZE


@dataclass(frozen=True)
class HybridParams:
    """Blend, fallback, exclusion and confidence settings for `recommend`.

    cf_weight / content_weight: blend of per-person normalised scores (0 disables a model).
    min_cf_items: fewer distinct items than this and a person is served by content only.
    purchase_exclusion_days: purchased items within this many days before as_of are never recommended
    (None: any past purchase). history_scale: confidence reaches 63% at this many distinct items.
    """

    n: int = 20
    cf_weight: float = 0.85
    content_weight: float = 0.15
    use_segment_popularity: bool = True
    min_cf_items: int = 3
    normalization: Literal["minmax", "rank"] = "minmax"
    purchase_exclusion_days: float | None = 365.0
    exclude_seen: bool = False
    exclude_purchases_for_opted_out: bool = True
    popularity_metric: PopularityMetric = "users"
    history_scale: float = 5.0
    popularity_confidence: float = 0.3
    block_size: int = DEFAULT_BLOCK_SIZE
