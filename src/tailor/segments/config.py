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


DEFAULT_NUMERIC_FEATURES: tuple[NumericFeature, ...] = (
    NumericFeature("recency_days", log1p=True),
    NumericFeature("frequency_orders", log1p=True),
    NumericFeature("monetary_usd", log1p=True),
    NumericFeature("avg_order_value_usd", log1p=True),
    NumericFeature("discount_share"),
    NumericFeature("sessions_30d", log1p=True),
    NumericFeature("sessions_90d", log1p=True),
    NumericFeature("active_days_30d", log1p=True),
    NumericFeature("active_days_90d", log1p=True),
    NumericFeature("avg_session_duration_s", log1p=True),
    NumericFeature("events_per_session", log1p=True),
    NumericFeature("avg_scroll_percent"),
    NumericFeature("video_seconds_90d", log1p=True),
    NumericFeature("feature_uses_90d", log1p=True),
    NumericFeature("cart_abandon_rate"),
    NumericFeature("price_sensitivity"),
    NumericFeature("support_tickets", log1p=True),
    NumericFeature("avg_sentiment"),
    NumericFeature("days_since_first_seen", log1p=True),
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
    categorical_weight: float = 0.5
    indicator_weight: float = 0.5
    embedding_components: int = 8
    embedding_weight: float = 0.5
    # facets: groups of numeric features that measure one behaviour; each group counts as one column
    feature_groups: tuple[tuple[str, ...], ...] = ()
    dedupe_indicators: bool = False
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
    silhouette_tolerance: float = 0.0
    min_stability: float = 0.0
    stability_rounds: int = 4
    stability_share: float = 0.7
    hierarchical_sample_size: int = 5_000
    # k-means fits run at once (candidate ks, stability subsamples): each fit is independent and seeded, so
    # the result does not depend on it; it only uses more cores
    fit_threads: int = 1
    # fallbacks
    min_tenure_days: float = 7.0
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
