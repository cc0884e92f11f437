"""Segmentation parameters: one frozen dataclass so a dbt model can pass its vars in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tailor.settings import parse_settings

FALLBACK_NEW = "fallback_new"
FALLBACK_LOW_CONFIDENCE = "fallback_low_confidence"
FALLBACK_NAMES: dict[str, str] = {
    FALLBACK_NEW: "Too new to segment",
    FALLBACK_LOW_CONFIDENCE: "Low-confidence profiles",
}


@dataclass(frozen=True)
class NumericFeature:
    """A numeric profile column used for clustering; `log1p` compresses heavy right tails (money, counts)."""

    name: str
    log1p: bool = False


# Per-session rates say how someone behaves, volumes how much; day counts stay linear so a month-long silence
# weighs as such, and tenure is left out (it only tells late joiners apart, and the new ones are a fallback).
DEFAULT_NUMERIC_FEATURES: tuple[NumericFeature, ...] = (
    NumericFeature("recency_days"),
    NumericFeature("days_since_last_seen"),
    NumericFeature("frequency_orders", log1p=True),
    NumericFeature("monetary_usd", log1p=True),
    NumericFeature("discount_share"),
    NumericFeature("price_sensitivity"),
    NumericFeature("sessions_30d", log1p=True),
    NumericFeature("sessions_90d", log1p=True),
    NumericFeature("video_seconds_90d", log1p=True),
    NumericFeature("orders_per_session", log1p=True),
    NumericFeature("video_seconds_per_session", log1p=True),
    NumericFeature("product_views_per_session", log1p=True),
    NumericFeature("searches_per_session", log1p=True),
    NumericFeature("events_per_session", log1p=True),
    NumericFeature("avg_session_duration_s", log1p=True),
    NumericFeature("avg_scroll_percent"),
)
# facets: features measuring one behaviour count together as one column (orders, video, visits)
DEFAULT_FEATURE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("recency_days", "frequency_orders", "monetary_usd", "discount_share", "orders_per_session"),
    ("video_seconds_90d", "video_seconds_per_session"),
    ("sessions_30d", "sessions_90d"),
)

DEFAULT_CATEGORICAL_FEATURES: tuple[str, ...] = ("age_band", "country_code", "loyalty_tier")


@dataclass(frozen=True)
class SegmentConfig:
    """Every knob of the segmentation run; defaults suit 5k-1M persons on a laptop."""

    # feature preparation
    numeric_features: tuple[NumericFeature, ...] = DEFAULT_NUMERIC_FEATURES
    categorical_features: tuple[str, ...] = DEFAULT_CATEGORICAL_FEATURES
    max_categories: int = 10
    scaler: Literal["robust", "standard"] = "robust"
    clip: float = 5.0
    # demographics take part at a quarter weight: they describe people more than they separate behaviour
    categorical_weight: float = 0.25
    indicator_weight: float = 0.5
    embedding_components: int = 8
    embedding_weight: float = 0.25
    # facets: groups of numeric features that measure one behaviour; each group counts as one column
    feature_groups: tuple[tuple[str, ...], ...] = DEFAULT_FEATURE_GROUPS
    # one missing indicator per pattern (no orders: recency and discount share are missing together)
    dedupe_indicators: bool = True
    # clustering
    method: Literal["kmeans", "hierarchical"] = "kmeans"
    k: int | None = None
    k_min: int = 4
    k_max: int = 10
    n_init: int = 3
    random_state: int = 42
    kmeans_fit_sample_size: int = 50_000
    silhouette_sample_size: int = 10_000
    # k choice: the largest k whose silhouette is within silhouette_tolerance of the best and whose
    # clusterings of stability_rounds subsamples agree (mean pairwise ARI) at least min_stability
    silhouette_tolerance: float = 0.02
    min_stability: float = 0.8
    stability_rounds: int = 4
    stability_share: float = 0.7
    hierarchical_sample_size: int = 5_000
    # k-means fits run at once (candidate ks, stability subsamples): each fit is independent and seeded, so
    # the result does not depend on it; it only uses more cores
    fit_threads: int = 2
    # fallbacks
    min_tenure_days: float = 14.0
    min_activity: float = 1.0
    # persons under this profile confidence get 'fallback_low_confidence' (applied in SQL, by
    # int_persons_segment_features_derived); lower than the profile's own low-confidence threshold on purpose:
    # an anonymous visitor with a few sessions has behaviour worth segmenting, just no known identity
    min_profile_confidence: float = 0.15
    # rules
    tree_max_depth: int = 4
    tree_min_leaf_share: float = 0.01
    tree_sample_size: int = 100_000
    # naming and stability
    top_n_features: int = 5
    max_match_distance: float = 1.0
    name_hysteresis: float = 0.25
    winsor_quantile: float = 0.01
    # quality
    min_share: float = 0.02
    max_share: float = 0.60
    psi_epsilon: float = 1e-4

    def __post_init__(self) -> None:
        if self.k is None and not 2 <= self.k_min <= self.k_max:
            raise ValueError(f"need 2 <= k_min <= k_max, got {self.k_min}..{self.k_max}")
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be positive, got {self.k}")
        if self.scaler not in ("robust", "standard"):
            raise ValueError(f"unknown scaler {self.scaler!r}")
        if self.silhouette_tolerance < 0:
            raise ValueError(f"silhouette_tolerance must be >= 0, got {self.silhouette_tolerance}")
        if not 0 < self.stability_share <= 1 or self.stability_rounds < 2:
            raise ValueError("need 0 < stability_share <= 1 and stability_rounds >= 2")
        if self.fit_threads < 1:
            raise ValueError(f"fit_threads must be at least 1, got {self.fit_threads}")
        if self.method not in ("kmeans", "hierarchical"):
            raise ValueError(f"unknown method {self.method!r}")


def config_from_mapping(values: Mapping[str, Any] | str | None) -> SegmentConfig:
    """The config from the `segments` var (a mapping or its JSON): strict, so a typo never passes silently."""
    return parse_settings(SegmentConfig, values, "segments")
