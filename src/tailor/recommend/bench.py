"""Benchmark of the collaborative path: ALS fit, blocked top-k for all users, holdout evaluation, and
implicit's own batch `recommend` on the same factors for comparison. Time and peak RSS per stage.

Run: python -m tailor.recommend.bench --users 100000 --items 5000 --nnz 3000000
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import psutil
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from tailor.recommend.collaborative import CFModel, CFParams, fit_cf
from tailor.recommend.data import InteractionMatrix, confidence_matrix, index_of
from tailor.recommend.evaluate import metrics_from_hits
from tailor.recommend.hybrid import HybridParams, fit_recommender, recommend_from
from tailor.recommend.synthetic import frames_from_matrix, power_law_matrix
from tailor.recommend.topk import DEFAULT_BLOCK_SIZE, blocked_top_k

T = TypeVar("T")
MIB = 1024.0 * 1024.0


@dataclass(frozen=True)
class StageMeasurement:
    """Wall and CPU time and memory of one stage: peak RSS during it and peak minus RSS at its start."""

    stage: str
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    peak_delta_mib: float


class _PeakRss:
    """Samples this process's RSS on a background thread; `peak` is the maximum seen."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self._process = psutil.Process(os.getpid())
        self._interval = interval_s
        self._stop = threading.Event()
        self.start_rss = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def measure(stage: str, function: Callable[[], T]) -> tuple[T, StageMeasurement]:
    """Run `function`, returning its result and the stage's time and RSS peak."""
    with _PeakRss() as rss:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = function()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return result, StageMeasurement(stage, seconds, cpu_seconds, rss.peak / MIB, (rss.peak - rss.start_rss) / MIB)


def holdout_split(matrix: sp.csr_matrix, share: float = 0.1, seed: int = 0) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Random per-entry holdout: (train, test) with about `share` of nonzeros in test."""
    matrix = matrix.tocsr()
    in_test = np.random.default_rng(seed).random(matrix.nnz) < share
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))

    def part(mask: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((matrix.data[mask], (rows[mask], matrix.indices[mask])), shape=matrix.shape)

    return part(~in_test), part(in_test)


def holdout_metrics(indices: np.ndarray, scores: np.ndarray, test: sp.csr_matrix, k: int) -> dict[str, float]:
    """Mean ranking metrics at k over users with held-out items, from top-k index arrays."""
    n_users, n_items = test.shape
    test_keys = np.sort(np.repeat(np.arange(n_users, dtype=np.int64), np.diff(test.indptr)) * n_items + test.indices)
    rec_keys = np.arange(n_users, dtype=np.int64)[:, None] * n_items + indices[:, :k]
    found = np.minimum(np.searchsorted(test_keys, rec_keys), max(test_keys.size - 1, 0))
    hits = (test_keys[found] == rec_keys if test_keys.size else np.zeros(rec_keys.shape, bool)) & np.isfinite(
        scores[:, :k]
    )
    n_relevant = np.diff(test.indptr)
    users = n_relevant > 0
    values = metrics_from_hits(hits[users], n_relevant[users], k)
    return {f"{name}@{k}": float(np.mean(value)) for name, value in values.items()} | {"n_test_users": int(users.sum())}


def _implicit_recommend(
    user_factors: np.ndarray, item_factors: np.ndarray, liked: sp.csr_matrix, k: int, num_threads: int
) -> tuple[np.ndarray, np.ndarray]:
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=user_factors.shape[1], num_threads=num_threads)
        model.user_factors, model.item_factors = user_factors, item_factors
        return model.recommend(np.arange(liked.shape[0]), liked, N=k, filter_already_liked_items=True)


def bench_cf(
    matrix: sp.csr_matrix | None = None,
    *,
    n_users: int = 100_000,
    n_items: int = 5_000,
    nnz: int = 3_000_000,
    params: CFParams | None = None,
    k: int = 20,
    block_size: int = DEFAULT_BLOCK_SIZE,
    holdout_share: float = 0.1,
    compare_implicit: bool = True,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Stages generate, split, fit, score_all (blocked), evaluate, implicit_recommend.

    Returns (stage table: stage, seconds, cpu_seconds, peak_rss_mib, peak_delta_mib) and a summary with holdout
    metrics, matrix size and agreement between the blocked top-k and implicit's recommend.
    """
    params = params or CFParams(factors=64, iterations=15, random_state=seed)
    stages: list[StageMeasurement] = []
    if matrix is None:
        matrix, stage = measure("generate", lambda: power_law_matrix(n_users, n_items, nnz, seed=seed))
        stages.append(stage)
    (train, test), stage = measure("split", lambda: holdout_split(matrix, holdout_share, seed))
    stages.append(stage)
    axes = InteractionMatrix(train, _numbered_ids("u", train.shape[0]), _numbered_ids("i", train.shape[1]))
    model, stage = measure("fit", lambda: fit_cf(axes, params))
    stages.append(stage)
    user_factors, item_factors = _full_factors(model, axes)
    (indices, scores), stage = measure(
        "score_all",
        lambda: blocked_top_k(user_factors, item_factors, k, exclude=train, block_size=block_size),
    )
    stages.append(stage)
    summary, stage = measure("evaluate", lambda: holdout_metrics(indices, scores, test, k))
    stages.append(stage)
    summary |= {
        "n_users": matrix.shape[0],
        "n_items": matrix.shape[1],
        "nnz": int(matrix.nnz),
        "factors": params.factors,
        "iterations": params.iterations,
        "k": k,
        "cpu_count": os.cpu_count() or 0,
    }
    if compare_implicit:
        liked = confidence_matrix(train, params.alpha, params.confidence, params.epsilon)
        (ids, implicit_scores), stage = measure(
            "implicit_recommend",
            lambda: _implicit_recommend(user_factors, item_factors, liked, k, params.num_threads),
        )
        stages.append(stage)
        same = np.sort(np.where(np.isfinite(scores), indices, -1), axis=1) == np.sort(ids, axis=1)
        summary["implicit_identical_sets"] = float(np.mean(same.all(axis=1)))
        # tied scores (e.g. users without factors) may pick different items; the score lists must agree
        close = np.isclose(scores, implicit_scores, rtol=1e-4, atol=1e-5) | (
            np.isinf(scores) & np.isinf(implicit_scores)
        )
        summary["implicit_same_scores"] = float(np.mean(close.all(axis=1)))
        summary |= {f"implicit_{key}": value for key, value in holdout_metrics(ids, implicit_scores, test, k).items()}
    summary["process_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return pd.DataFrame([stage.__dict__ for stage in stages]), summary


def bench_hybrid(
    matrix: sp.csr_matrix | None = None,
    *,
    n_users: int = 100_000,
    n_items: int = 5_000,
    nnz: int = 3_000_000,
    cf_params: CFParams | None = None,
    params: HybridParams | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """End-to-end product path on frames: fit every tier, then N recommendations for every person."""
    params = params or HybridParams()
    stages: list[StageMeasurement] = []
    if matrix is None:
        matrix, stage = measure("generate", lambda: power_law_matrix(n_users, n_items, nnz, seed=seed))
        stages.append(stage)
    (interactions, catalog, persons), stage = measure("frames", lambda: frames_from_matrix(matrix, seed=seed))
    stages.append(stage)
    fitted, stage = measure(
        "fit_all_tiers", lambda: fit_recommender(interactions, catalog, persons, cf_params=cf_params, params=params)
    )
    stages.append(stage)
    recs, stage = measure("recommend_all", lambda: recommend_from(fitted, params))
    stages.append(stage)
    summary = {
        "n_persons": len(persons),
        "n_items": len(catalog),
        "nnz": int(matrix.nnz),
        "rows": len(recs),
        "process_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    } | {f"share_{name}": float(share) for name, share in recs["rec_source"].value_counts(normalize=True).items()}
    return pd.DataFrame([stage.__dict__ for stage in stages]), summary


def _full_factors(model: CFModel, axes: InteractionMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Factors on the full matrix axes (zero rows for users or items the split left empty)."""
    users = np.zeros((len(axes.user_ids), model.user_factors.shape[1]), dtype=np.float32)
    items = np.zeros((len(axes.item_ids), model.item_factors.shape[1]), dtype=np.float32)
    users[index_of(axes.user_ids, pd.Series(model.user_ids, dtype=object))] = model.user_factors
    items[index_of(axes.item_ids, pd.Series(model.item_ids, dtype=object))] = model.item_factors
    return users, items


def _numbered_ids(prefix: str, count: int) -> np.ndarray:
    """Zero-padded ids whose sorted order is their numeric order, as id axes require."""
    width = len(str(max(count - 1, 0)))
    return np.array([f"{prefix}{index:0{width}d}" for index in range(count)], dtype=object)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--nnz", type=int, default=3_000_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("-k", type=int, default=20)
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE)
    parser.add_argument("--threads", type=int, default=0, help="implicit threads (0: all cores)")
    parser.add_argument("--no-implicit", action="store_true")
    parser.add_argument("--hybrid", action="store_true", help="benchmark the full frame-in, frame-out path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    params = CFParams(
        factors=args.factors, iterations=args.iterations, random_state=args.seed, num_threads=args.threads
    )
    if args.hybrid:
        stages, summary = bench_hybrid(
            n_users=args.users, n_items=args.items, nnz=args.nnz, cf_params=params, params=HybridParams(n=args.k)
        )
    else:
        stages, summary = bench_cf(
            n_users=args.users,
            n_items=args.items,
            nnz=args.nnz,
            params=params,
            k=args.k,
            block_size=args.block_size,
            compare_implicit=not args.no_implicit,
            seed=args.seed,
        )
    print(stages.to_string(index=False, float_format=lambda value: f"{value:.2f}"))
    for key, value in summary.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
