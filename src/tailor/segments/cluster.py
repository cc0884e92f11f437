"""Clustering of the prepared matrix: k-means or Ward on a sample, k fixed or chosen by silhouette."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, euclidean_distances, pairwise_distances_argmin_min

from tailor.segments.config import SegmentConfig


@dataclass(frozen=True)
class ClusterResult:
    """Labels 0..k-1 ordered by cluster size (largest first), centroids in the prepared space."""

    labels: np.ndarray
    centroids: np.ndarray
    k: int
    method: str
    silhouette_by_k: dict[int, float]
    stability_by_k: dict[int, float] = field(default_factory=dict)


def _map_threads(fit: Callable[[int], object], keys: Iterable[int], threads: int) -> dict[int, object]:
    """{key: fit(key)} with up to `threads` fits at once (scikit-learn's k-means releases the GIL)."""
    keys = list(keys)
    if threads <= 1 or len(keys) <= 1:
        return {key: fit(key) for key in keys}
    with ThreadPoolExecutor(max_workers=min(threads, len(keys))) as pool:
        return dict(zip(keys, pool.map(fit, keys), strict=True))


def sample_indices(n_rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted fixed-seed sample of row positions (all rows when there are few enough)."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=size, replace=False))


def assign_nearest(matrix: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid and Euclidean distance to it for every row."""
    labels, distances = pairwise_distances_argmin_min(matrix, centroids)
    return labels.astype(np.int64), distances


def _relabel_by_size(labels: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(labels, minlength=len(centroids))
    order = sorted(range(len(centroids)), key=lambda label: (-counts[label], label))
    order = [label for label in order if counts[label] > 0]
    new_label = np.full(len(centroids), -1, dtype=np.int64)
    new_label[order] = np.arange(len(order))
    return new_label[labels], centroids[order]


def _candidate_ks(config: SegmentConfig, n_distinct: int) -> list[int]:
    if config.k is not None:
        return [max(1, min(config.k, n_distinct))]
    upper = min(config.k_max, n_distinct - 1)
    if upper < 2:
        return [max(1, min(2, n_distinct))]
    return list(range(min(config.k_min, upper), upper + 1))


def silhouette_by_labeling(
    matrix: np.ndarray, labelings: dict[int, np.ndarray], chunk_rows: int = 512
) -> dict[int, float]:
    """Mean silhouette (sklearn's definition, singletons score 0) of several labelings of the same rows.

    Pairwise distances are computed once per row chunk and shared by every candidate k, which makes
    scoring seven ks about as cheap as scoring one.
    """
    n_rows = len(matrix)
    onehots, sizes, totals = {}, {}, {}
    for key, labels in labelings.items():
        _, codes = np.unique(labels, return_inverse=True)
        onehots[key] = np.eye(codes.max() + 1)[codes]
        sizes[key] = onehots[key].sum(axis=0)
        totals[key] = 0.0
    for start in range(0, n_rows, chunk_rows):
        distances = euclidean_distances(matrix[start : start + chunk_rows], matrix)
        for key, onehot in onehots.items():
            sums = distances @ onehot
            own = onehot[start : start + chunk_rows].astype(bool)
            own_size = sizes[key][own.argmax(axis=1)]
            intra = sums[own] / np.maximum(own_size - 1, 1)
            mean_other = np.where(own, np.inf, sums / sizes[key])
            nearest = mean_other.min(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                score = (nearest - intra) / np.maximum(intra, nearest)
            totals[key] += float(np.where((own_size > 1) & np.isfinite(score), score, 0.0).sum())
    return {key: totals[key] / n_rows if 2 <= len(sizes[key]) < n_rows else float("nan") for key in labelings}


def choose_k(
    scores: dict[int, float],
    tolerance: float = 0.0,
    stability: dict[int, float] | None = None,
    min_stability: float = 0.0,
) -> int:
    """The finest k that is as well separated as the best (silhouette within `tolerance`) and stable.

    Silhouettes a few hundredths apart do not tell candidate ks apart, so they count as ties and the finer
    segmentation wins; a k whose subsample clusterings disagree (stability below `min_stability`) is skipped
    unless every tied k is. With tolerance 0 this is the highest silhouette, ties to the smaller k.
    """
    finite = {k: s for k, s in scores.items() if np.isfinite(s)}
    if not finite:
        return min(scores)
    best = max(finite.values())
    if tolerance <= 0:
        return min(k for k, s in finite.items() if s >= best - 1e-9)
    tied = sorted(k for k, s in finite.items() if s >= best - tolerance - 1e-9)
    stable = [k for k in tied if (stability or {}).get(k, 1.0) >= min_stability]
    return max(stable or tied)


def subsample_stability(
    matrix: np.ndarray, k: int, rounds: int, share: float, n_init: int, seed: int, threads: int = 1
) -> float:
    """Mean pairwise adjusted Rand index of k-means fitted on `rounds` fixed-seed subsamples of `share`
    of the rows, each labelling every row by its nearest centroid (1.0: the same partition every time)."""
    size = max(k, int(round(share * len(matrix))))

    def labeling(round_: int) -> np.ndarray:
        rows = sample_indices(len(matrix), size, seed + round_)
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(matrix[rows]).predict(matrix)

    by_round = _map_threads(labeling, range(rounds), threads)
    labelings = [by_round[round_] for round_ in range(rounds)]
    pairs = [
        adjusted_rand_score(labelings[i], labelings[j]) for i in range(rounds) for j in range(i + 1, rounds)
    ]
    return float(np.mean(pairs))


def _n_distinct(matrix: np.ndarray) -> int:
    return len(np.unique(matrix, axis=0))


def kmeans_clusters(matrix: np.ndarray, config: SegmentConfig) -> ClusterResult:
    """k-means; candidate ks are fitted on a fixed sample and scored by silhouette on a smaller one,
    then the winner is refined on all rows starting from its sample centroids."""
    fit_rows = sample_indices(len(matrix), config.kmeans_fit_sample_size, config.random_state)
    fit_matrix = matrix[fit_rows]
    scored = sample_indices(len(fit_rows), config.silhouette_sample_size, config.random_state + 1)
    models = _map_threads(
        lambda k: KMeans(n_clusters=k, n_init=config.n_init, random_state=config.random_state).fit(fit_matrix),
        _candidate_ks(config, _n_distinct(fit_matrix)),
        config.fit_threads,
    )
    scores = silhouette_by_labeling(fit_matrix[scored], {k: m.labels_[scored] for k, m in models.items()})
    stability = {}
    if config.min_stability > 0 and config.silhouette_tolerance > 0 and len(models) > 1:
        best = max((s for s in scores.values() if np.isfinite(s)), default=np.nan)
        stability = {
            k: subsample_stability(
                fit_matrix[scored],
                k,
                config.stability_rounds,
                config.stability_share,
                config.n_init,
                config.random_state + 2,
                config.fit_threads,
            )
            for k, s in scores.items()
            if np.isfinite(s) and s >= best - config.silhouette_tolerance - 1e-9
        }
    k = choose_k(scores, config.silhouette_tolerance, stability, config.min_stability)
    model = models[k]
    if len(fit_rows) < len(matrix):
        model = KMeans(n_clusters=k, init=model.cluster_centers_, n_init=1, random_state=config.random_state)
        model.fit(matrix)
    labels, centroids = _relabel_by_size(model.labels_.astype(np.int64), model.cluster_centers_)
    return ClusterResult(labels, centroids, len(centroids), "kmeans", scores, stability)


def hierarchical_clusters(matrix: np.ndarray, config: SegmentConfig) -> ClusterResult:
    """Ward agglomerative clustering of a fixed sample; every row then joins its nearest sample centroid."""
    rows = sample_indices(len(matrix), config.hierarchical_sample_size, config.random_state)
    sample = matrix[rows]
    if len(sample) < 2:
        return ClusterResult(
            np.zeros(len(matrix), dtype=np.int64), sample[:1].copy(), 1, "hierarchical", {1: np.nan}
        )
    tree = linkage(sample, method="ward")
    cuts = {
        k: fcluster(tree, t=k, criterion="maxclust") - 1 for k in _candidate_ks(config, _n_distinct(sample))
    }
    scores = silhouette_by_labeling(sample, cuts)
    k = choose_k(scores, config.silhouette_tolerance)
    cut = cuts[k]
    centroids = np.stack([sample[cut == label].mean(axis=0) for label in np.unique(cut)])
    labels, _ = assign_nearest(matrix, centroids)
    labels, centroids = _relabel_by_size(labels, centroids)
    return ClusterResult(labels, centroids, len(centroids), "hierarchical", scores)


def fit_clusters(matrix: np.ndarray, config: SegmentConfig | None = None) -> ClusterResult:
    """Cluster with the configured method; deterministic for a given matrix and random_state."""
    config = config or SegmentConfig()
    if len(matrix) == 0:
        raise ValueError("nothing to cluster: every person is a fallback or the input is empty")
    if config.method == "hierarchical":
        return hierarchical_clusters(matrix, config)
    return kmeans_clusters(matrix, config)
