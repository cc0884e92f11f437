"""Feature preparation: profile rows -> a deterministic numeric matrix for clustering.

Numeric columns are log1p'd where heavy-tailed, median-filled with a missing indicator (values flagged
`<column>_is_imputed` count as missing: an upstream guess must not pose as behaviour), robust- or
standard-scaled and clipped; small categoricals are one-hot encoded; the person x category weights add a
taste embedding. Everything fitted is kept in `FeaturePreparation` so a later batch lands in the same space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailor.segments.config import NumericFeature, SegmentConfig
from tailor.segments.embedding import CategoryEmbedding, embed_categories, fit_category_embedding

MISSING_LEVEL = "missing"
OTHER_LEVEL = "other"
IQR_TO_STD = 1.349


@dataclass(frozen=True)
class FeaturePreparation:
    """Fitted preparation state (medians, scales, kept levels, taste basis) reused on new batches."""

    numeric: tuple[NumericFeature, ...]
    medians: dict[str, float]
    centers: dict[str, float]
    scales: dict[str, float]
    indicators: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    embedding: CategoryEmbedding | None
    clip: float
    categorical_weight: float
    indicator_weight: float
    embedding_weight: float
    group_weights: dict[str, float] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        names = [f.name for f in self.numeric]
        names += [indicator_name(name) for name in self.indicators]
        names += [f"{column}={level}" for column, levels in self.categories.items() for level in levels]
        names += self.embedding.feature_names if self.embedding is not None else []
        return names


@dataclass(frozen=True)
class PreparedFeatures:
    """The clustering matrix with its column names and the person ids of its rows."""

    matrix: np.ndarray
    feature_names: list[str]
    person_ids: pd.Series


def imputed_mask(profiles: pd.DataFrame, column: str) -> np.ndarray:
    """True where `<column>_is_imputed` says the value was filled upstream (absent flag column: all False)."""
    flag = f"{column}_is_imputed"
    if flag not in profiles.columns:
        return np.zeros(len(profiles), dtype=bool)
    return profiles[flag].astype("boolean").fillna(False).to_numpy(dtype=bool)


def original_values(profiles: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column in original units as float, NaN where missing, unparsable or flagged imputed."""
    if column not in profiles.columns:
        return np.full(len(profiles), np.nan)
    values = pd.to_numeric(profiles[column], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    values = values.copy()
    values[imputed_mask(profiles, column)] = np.nan
    return values


def _transformed(profiles: pd.DataFrame, feature: NumericFeature) -> np.ndarray:
    values = original_values(profiles, feature.name)
    if feature.log1p:
        values = np.log1p(np.clip(values, 0.0, None))
    return values


def _center_scale(values: np.ndarray, scaler: str) -> tuple[float, float]:
    """Location and spread of observed values; spread falls back IQR -> std -> 1 so flat columns stay sane."""
    observed = values[~np.isnan(values)]
    if scaler == "robust":
        q25, center, q75 = np.quantile(observed, [0.25, 0.5, 0.75])
        scale = (q75 - q25) / IQR_TO_STD
    else:
        center, scale = observed.mean(), observed.std()
    if scale < 1e-9:
        scale = observed.std()
    return float(center), float(scale if scale >= 1e-9 else 1.0)


def _levels(profiles: pd.DataFrame, column: str) -> pd.Series:
    return profiles[column].astype("string").str.strip().replace("", pd.NA).fillna(MISSING_LEVEL)


def _kept_levels(levels: pd.Series, max_categories: int) -> tuple[str, ...]:
    counts = levels.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    kept = [str(level) for level, _ in ranked[:max_categories]]
    if len(ranked) > max_categories:
        kept.append(OTHER_LEVEL)
    return tuple(kept)


def indicator_name(feature: str) -> str:
    """The column name of a feature's missing indicator."""
    return f"{feature}__missing"


def duplicate_indicators(masks: dict[str, np.ndarray]) -> set[str]:
    """Names whose missing mask repeats an earlier one (in the given order): one indicator per pattern."""
    seen: list[np.ndarray] = []
    duplicates = set()
    for name, mask in masks.items():
        if any(np.array_equal(mask, other) for other in seen):
            duplicates.add(name)
        else:
            seen.append(mask)
    return duplicates


def facet_weights(groups: tuple[tuple[str, ...], ...], columns: list[str], indicators: list[str]) -> dict[str, float]:
    """Column weights that make each facet (a group of features measuring one behaviour) count as one column.

    A facet's columns present here, plus the missing indicators of its members, share a total squared weight
    of one: each gets 1/sqrt(size). Columns outside every facet keep weight one (absent from the result).
    """
    weights: dict[str, float] = {}
    for group in groups:
        members = [name for name in group if name in columns]
        members += [indicator_name(name) for name in group if name in indicators]
        for member in members:
            if member in weights:
                raise ValueError(f"feature {member!r} is in more than one facet")
            weights[member] = 1.0 / np.sqrt(len(members))
    return weights


def fit_preparation(
    profiles: pd.DataFrame, interactions: pd.DataFrame | None = None, config: SegmentConfig | None = None
) -> FeaturePreparation:
    """Learn medians, scales, category levels and the taste basis from the persons being clustered."""
    config = config or SegmentConfig()
    numeric, medians, centers, scales, masks = [], {}, {}, {}, {}
    for feature in config.numeric_features:
        values = _transformed(profiles, feature)
        missing = np.isnan(values)
        if missing.all():
            continue
        numeric.append(feature)
        medians[feature.name] = float(np.median(values[~missing]))
        centers[feature.name], scales[feature.name] = _center_scale(values, config.scaler)
        if missing.any():
            masks[feature.name] = missing
    repeated = duplicate_indicators(masks) if config.dedupe_indicators else set()
    indicators = [name for name in masks if name not in repeated]
    categories = {
        column: _kept_levels(_levels(profiles, column), config.max_categories)
        for column in config.categorical_features
        if column in profiles.columns and len(profiles)
    }
    embedding = fit_category_embedding(
        interactions, profiles["person_id"], config.embedding_components, config.random_state
    )
    return FeaturePreparation(
        numeric=tuple(numeric),
        medians=medians,
        centers=centers,
        scales=scales,
        indicators=tuple(indicators),
        categories=categories,
        embedding=embedding,
        clip=config.clip,
        categorical_weight=config.categorical_weight,
        indicator_weight=config.indicator_weight,
        embedding_weight=config.embedding_weight,
        group_weights=facet_weights(config.feature_groups, [f.name for f in numeric], indicators),
    )


def transform_features(
    preparation: FeaturePreparation, profiles: pd.DataFrame, interactions: pd.DataFrame | None = None
) -> PreparedFeatures:
    """Apply a fitted preparation; columns absent from this batch are treated as fully missing."""
    blocks: list[np.ndarray] = []
    missing_flags: dict[str, np.ndarray] = {}
    for feature in preparation.numeric:
        values = _transformed(profiles, feature)
        missing = np.isnan(values)
        missing_flags[feature.name] = missing
        filled = np.where(missing, preparation.medians[feature.name], values)
        scaled = (filled - preparation.centers[feature.name]) / preparation.scales[feature.name]
        weight = preparation.group_weights.get(feature.name, 1.0)
        blocks.append(np.clip(scaled, -preparation.clip, preparation.clip)[:, None] * weight)
    for name in preparation.indicators:
        weight = preparation.indicator_weight * preparation.group_weights.get(indicator_name(name), 1.0)
        blocks.append(missing_flags[name].astype(float)[:, None] * weight)
    for column, kept in preparation.categories.items():
        levels = (
            _levels(profiles, column)
            if column in profiles.columns
            else pd.Series([MISSING_LEVEL] * len(profiles), dtype="string")
        )
        if OTHER_LEVEL in kept:
            levels = levels.where(levels.isin(kept), OTHER_LEVEL)
        onehot = np.stack([(levels == level).to_numpy(dtype=bool) for level in kept], axis=1).astype(float)
        blocks.append(onehot * preparation.categorical_weight)
    if preparation.embedding is not None:
        taste = embed_categories(preparation.embedding, interactions, profiles["person_id"])
        blocks.append(np.clip(taste, -preparation.clip, preparation.clip) * preparation.embedding_weight)
    matrix = np.ascontiguousarray(np.hstack(blocks)) if blocks else np.zeros((len(profiles), 0))
    return PreparedFeatures(matrix, preparation.feature_names, profiles["person_id"].reset_index(drop=True))


def prepare_features(
    profiles: pd.DataFrame, interactions: pd.DataFrame | None = None, config: SegmentConfig | None = None
) -> tuple[PreparedFeatures, FeaturePreparation]:
    """Fit and apply in one call: the matrix for clustering plus the state needed to reproduce it."""
    preparation = fit_preparation(profiles, interactions, config)
    return transform_features(preparation, profiles, interactions), preparation
