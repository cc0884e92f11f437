"""Customer segmentation: features, clustering, names, rules, stable ids across retrains, drift, checks."""

from tailor.segments.cluster import ClusterResult, assign_nearest, fit_clusters
from tailor.segments.config import (
    FALLBACK_LOW_CONFIDENCE,
    FALLBACK_NAMES,
    FALLBACK_NEW,
    NumericFeature,
    SegmentConfig,
    config_from_mapping,
)
from tailor.segments.fallback import fallback_segments
from tailor.segments.naming import NAME_RULES, name_segments
from tailor.segments.pipeline import (
    SegmentationModel,
    SegmentationResult,
    assign_segments,
    run_segmentation,
)
from tailor.segments.prepare import (
    FeaturePreparation,
    PreparedFeatures,
    fit_preparation,
    prepare_features,
    transform_features,
)
from tailor.segments.quality import (
    CheckResult,
    adjusted_rand,
    check_max_share,
    check_min_share,
    check_unique_names,
    quality_checks,
)
from tailor.segments.rules import SegmentRules, fit_segment_rules
from tailor.segments.stability import drift_table, match_segments, population_stability_index

__all__ = [
    "FALLBACK_LOW_CONFIDENCE",
    "FALLBACK_NAMES",
    "FALLBACK_NEW",
    "NAME_RULES",
    "CheckResult",
    "ClusterResult",
    "FeaturePreparation",
    "NumericFeature",
    "PreparedFeatures",
    "SegmentConfig",
    "SegmentRules",
    "SegmentationModel",
    "SegmentationResult",
    "adjusted_rand",
    "assign_nearest",
    "assign_segments",
    "check_max_share",
    "check_min_share",
    "check_unique_names",
    "config_from_mapping",
    "drift_table",
    "fallback_segments",
    "fit_clusters",
    "fit_preparation",
    "fit_segment_rules",
    "match_segments",
    "name_segments",
    "population_stability_index",
    "prepare_features",
    "quality_checks",
    "run_segmentation",
    "transform_features",
]
