"""Quality gates for a segmentation run, each returning pass/fail with a message a person can act on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from tailor.segments.config import SegmentConfig


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one quality check."""

    name: str
    passed: bool
    message: str


def _shares(sizes: Mapping[str, int] | pd.Series) -> pd.Series:
    series = pd.Series(sizes, dtype="float64")
    total = series.sum()
    return series / total if total > 0 else series


def check_min_share(sizes: Mapping[str, int] | pd.Series, min_share: float) -> CheckResult:
    """No segment smaller than `min_share` of the clustered persons (tiny segments are not actionable)."""
    shares = _shares(sizes)
    if shares.empty:
        return CheckResult("min_share", False, "no clustered segments: every person is a fallback")
    small = shares[shares < min_share].sort_index()
    if small.empty:
        return CheckResult("min_share", True, f"all {len(shares)} segments hold >= {min_share:.1%}")
    listed = ", ".join(f"{key} {value:.2%}" for key, value in small.items())
    return CheckResult("min_share", False, f"segments under {min_share:.1%}: {listed}")


def check_max_share(sizes: Mapping[str, int] | pd.Series, max_share: float) -> CheckResult:
    """No single segment above `max_share` (one giant segment means the features did not separate people)."""
    shares = _shares(sizes)
    if shares.empty or shares.max() <= max_share:
        return CheckResult("max_share", True, f"largest segment holds <= {max_share:.0%}")
    key = shares.idxmax()
    return CheckResult("max_share", False, f"segment {key} holds {shares.max():.1%} > {max_share:.0%}")


def check_unique_names(names: Iterable[str]) -> CheckResult:
    """Every segment name is distinct (BI filters and campaign audiences select by name)."""
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        return CheckResult("unique_names", False, f"duplicate names: {', '.join(duplicates)}")
    return CheckResult("unique_names", True, "all segment names are unique")


def adjusted_rand(known_labels: Iterable, predicted_labels: Iterable) -> float:
    """Adjusted Rand index between known (planted) labels and segment labels; 1 = identical partitions."""
    return float(adjusted_rand_score(np.asarray(list(known_labels)), np.asarray(list(predicted_labels))))


def quality_checks(segments: pd.DataFrame, config: SegmentConfig | None = None) -> list[CheckResult]:
    """All gates on a segment table: shares among clustered persons, names across every segment."""
    config = config or SegmentConfig()
    clusters = segments[~segments["is_fallback"].astype(bool)].set_index("segment_id")["size"]
    return [
        check_min_share(clusters, config.min_share),
        check_max_share(clusters, config.max_share),
        check_unique_names(segments["segment_name"]),
    ]
