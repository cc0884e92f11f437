"""Segment profiles in original units: capped means and z-scores against the clustered population.

Means are taken after capping each feature at its population 1st/99th percentile (configurable), so one
outlier spender cannot name a segment; the numbers stay in the units people know (days, orders, USD).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailor.segments.prepare import original_values


@dataclass(frozen=True)
class PopulationStats:
    """Per-feature caps, mean and standard deviation of the capped values over the clustered persons."""

    lower: pd.Series
    upper: pd.Series
    mean: pd.Series
    std: pd.Series

    def cap(self, values: pd.DataFrame) -> pd.DataFrame:
        columns = [c for c in values.columns if c in self.mean.index]
        return values[columns].clip(lower=self.lower[columns], upper=self.upper[columns], axis=1)


def original_frame(profiles: pd.DataFrame, features: Iterable[str]) -> pd.DataFrame:
    """Numeric features in original units (NaN where missing or flagged imputed), one column each."""
    return pd.DataFrame(
        {name: original_values(profiles, name) for name in features}, index=profiles.index, dtype="float64"
    )


def population_stats(values: pd.DataFrame, winsor_quantile: float = 0.01) -> PopulationStats:
    """Capping bounds and capped mean/std per feature; NaNs are ignored (a feature nobody has: mean NaN)."""
    lower = values.quantile(winsor_quantile)
    upper = values.quantile(1.0 - winsor_quantile)
    capped = values.clip(lower=lower, upper=upper, axis=1)
    return PopulationStats(lower, upper, capped.mean(), capped.std(ddof=0))


def segment_means(values: pd.DataFrame, labels: np.ndarray, stats: PopulationStats) -> pd.DataFrame:
    """Capped mean of every feature per segment label (rows: labels in ascending order)."""
    return stats.cap(values).groupby(np.asarray(labels)).mean().sort_index()


def zscores(means: pd.DataFrame, stats: PopulationStats) -> pd.DataFrame:
    """(segment mean - population mean) / population std; 0 where undefined (flat or absent feature)."""
    columns = list(means.columns)
    std = stats.std[columns].where(stats.std[columns] > 1e-12)
    z = (means - stats.mean[columns]) / std
    return z.fillna(0.0)


def top_features(means: pd.DataFrame, stats: PopulationStats, n: int = 5) -> pd.DataFrame:
    """The n features that set each segment apart most (largest |z|), long format, ranked from 1."""
    z = zscores(means, stats)
    rows = []
    for label in means.index:
        ranked = sorted(z.columns, key=lambda name: (-abs(z.at[label, name]), name))[:n]
        for rank, name in enumerate(ranked, start=1):
            rows.append(
                {
                    "label": label,
                    "rank": rank,
                    "feature": name,
                    "segment_mean": float(means.at[label, name]),
                    "population_mean": float(stats.mean[name]),
                    "z": float(z.at[label, name]),
                }
            )
    return pd.DataFrame(rows, columns=["label", "rank", "feature", "segment_mean", "population_mean", "z"])


def format_number(value: float) -> str:
    """Short human number: thousands separators for big values, two decimals for small ones."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def top_features_text(top: pd.DataFrame) -> dict[int, str]:
    """One line per segment: 'monetary_usd 1,240 vs 310 (z +2.10); ...'."""
    texts: dict[int, str] = {}
    for label, group in top.groupby("label", sort=True):
        texts[int(label)] = "; ".join(
            f"{row.feature} {format_number(row.segment_mean)} vs {format_number(row.population_mean)} "
            f"(z {row.z:+.2f})"
            for row in group.sort_values("rank").itertuples()
        )
    return texts


def centroid_summary(means: pd.DataFrame, stats: PopulationStats) -> dict[int, dict[str, dict[str, float]]]:
    """Per segment: {feature: {mean, population_mean, z}} in original units, for the segment table JSON."""
    z = zscores(means, stats)
    summary: dict[int, dict[str, dict[str, float]]] = {}
    for label in means.index:
        summary[int(label)] = {
            name: {
                "mean": _rounded(means.at[label, name]),
                "population_mean": _rounded(stats.mean[name]),
                "z": _rounded(z.at[label, name]),
            }
            for name in means.columns
        }
    return summary


def _rounded(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)
