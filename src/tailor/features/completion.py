"""Completes person features for the profile mart: imputes what is sensibly imputable, flags it, and
scores how much each profile can be trusted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tailor.features.confidence import ConfidenceWeights, profile_confidence
from tailor.features.imputation import ImputationSettings, impute_columns
from tailor.settings import parse_settings

# Behaviour that is always observed (zero when absent) and so can place any person among their neighbours.
NEIGHBOUR_FEATURES: tuple[str, ...] = (
    "sessions_90d",
    "active_days_90d",
    "avg_session_duration_s",
    "avg_events_per_session",
    "avg_scroll_percent",
    "video_seconds",
    "feature_use_count",
    "search_count",
    "product_view_count",
    "frequency_orders",
    "monetary_usd",
    "avg_discount_share",
    "relative_price_level",
    "ticket_count",
    "days_since_first_seen",
)
# Categorical behaviour, one-hot encoded for distances: the currency a person pays in says where they live.
NEIGHBOUR_CATEGORIES: tuple[str, ...] = ("primary_order_currency",)
# Demographics that describe the person and so may be inferred from similar people. Gender and loyalty tier
# are not: gender is self-described, and a missing tier means "not a member", a fact rather than a gap.
CATEGORICAL_TARGETS: tuple[str, ...] = ("age_band", "country_code")
NUMERIC_TARGETS: tuple[str, ...] = ("price_sensitivity",)
# What a target is computed from is missing exactly when the target is: useless, even misleading, as a feature.
TARGET_INPUTS: dict[str, tuple[str, ...]] = {"price_sensitivity": ("avg_discount_share", "relative_price_level")}
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = ("age_band", "gender", "country_code")


@dataclass(frozen=True)
class CompletionSettings:
    """The `profiles` var: the knobs of profile completion (imputation, confidence), parsed by `from_mapping`."""

    imputation: ImputationSettings = ImputationSettings()
    # activity reaches 63% of its confidence weight at this many sessions + orders
    activity_saturation: float = 20.0
    low_confidence_threshold: float = 0.4
    weights: ConfidenceWeights = ConfidenceWeights()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | str | None) -> CompletionSettings:
        """The settings from the `profiles` var (a mapping or its JSON), strictly."""
        return parse_settings(cls, values, "profiles")


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].fillna(False).astype(bool).to_numpy() if column in frame else np.zeros(len(frame), bool)


def _count(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    present = [c for c in columns if c in frame]
    if not present:
        return np.zeros(len(frame))
    return frame[present].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1).to_numpy()


def complete_profiles(features: pd.DataFrame, settings: CompletionSettings | None = None) -> pd.DataFrame:
    """One row per person_id: imputable targets filled (observed values kept) with `<col>_is_imputed`,
    the count of observed demographics, `profile_confidence` (0..1) and `is_low_confidence`."""
    settings = settings or CompletionSettings()
    frame = features.sort_values("person_id", kind="mergesort").reset_index(drop=True)
    neighbour_columns = [c for c in NEIGHBOUR_FEATURES if c in frame]
    completed = impute_columns(
        frame,
        "person_id",
        neighbour_columns,
        categorical_targets=[c for c in CATEGORICAL_TARGETS if c in frame],
        numeric_targets=[c for c in NUMERIC_TARGETS if c in frame],
        categorical_features=[c for c in NEIGHBOUR_CATEGORIES if c in frame],
        settings=settings.imputation,
        excluded_features=TARGET_INPUTS,
    )
    observed_demographics = np.sum([frame[c].notna().to_numpy() for c in DEMOGRAPHIC_COLUMNS if c in frame], axis=0)
    confidence = profile_confidence(
        has_user_id=_flag(frame, "has_user_id"),
        has_email=_flag(frame, "has_email"),
        activity_count=_count(frame, ["session_count", "frequency_orders"]),
        demographics_observed=observed_demographics,
        demographics_total=len(DEMOGRAPHIC_COLUMNS),
        activity_saturation=settings.activity_saturation,
        weights=settings.weights,
    )
    completed["demographics_observed_count"] = np.asarray(observed_demographics, dtype="int64")
    completed["profile_confidence"] = confidence
    completed["is_low_confidence"] = confidence < settings.low_confidence_threshold
    return completed
