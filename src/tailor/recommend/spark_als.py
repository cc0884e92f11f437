"""Collaborative factors fitted with Spark MLlib's ALS (`recommendations.fit_engine: spark_als`), so the fit
runs on a cluster when persons x items outgrow one driver; scoring stays the blocked numpy scorer.

The objective is the one `implicit` minimises, on the same confidence weights (docs/recommendations.md,
"Distributed fit"):
- confidence: `implicit` reads c_ui from the matrix (we pass 1 + alpha * w; unobserved pairs c = 1, p = 0);
  MLlib computes c = 1 + alpha * |r| from a rating r with p = 1 for r > 0. So r = w (linear) or
  r = log(1 + w / epsilon) (log), with MLlib's alpha = `recommendations.alpha`: the same c_ui exactly.
- regularization: `implicit` adds lambda * I to every user's and item's normal equations; MLlib adds
  regParam * n * I, n = the user's (item's) number of positive ratings (ALS-WR). No single regParam
  equals a constant lambda; `reg_param_for` picks the one that matches lambda for an item with the mean
  number of users (chosen on the gate's holdout, docs/recommendations.md). Folding a changed person in
  (`recalculate_users`) keeps `implicit`'s lambda.
- factors, iterations and seed are `recommendations.factors`, `iterations`, `seed`. MLlib draws each
  block's initial factors from the seed and the block number, so the blocks are a fixed count
  (`ALS_BLOCKS`), never the cluster's partitioning: the same input gives the same factors up to float
  summation order (which differs with the order shuffled rows arrive in; see `fit_spark_als`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tailor.recommend.collaborative import CFParams

# MLlib's default block count, fixed: the initial factors depend on it (a seed per block), so a cluster's
# size must not change it. Each block is one task of each half-sweep, the ceiling of the fit's parallelism.
ALS_BLOCKS = 10
# ALS's lineage grows with every sweep; unless it is cut by a checkpoint every few sweeps, serialising the
# task of a 15-sweep fit overflows the JVM stack (measured on `sample`)
CHECKPOINT_EVERY = 5
CHECKPOINT_PREFIX = "tailor-als-checkpoints-"
RATING_COLUMNS: tuple[str, ...] = ("user", "item", "rating")


def ratings_frame(weights: sp.csr_matrix, params: CFParams) -> pd.DataFrame:
    """users x items positive weights as MLlib's (user, item, rating) rows: rating r such that MLlib's
    confidence 1 + alpha * |r| is `tailor.recommend.data.confidence_matrix`'s C for the same weight."""
    coo = weights.tocoo()
    values = coo.data.astype(np.float64)
    if params.confidence == "log":
        values = np.log1p(values / params.epsilon)
    elif params.confidence != "linear":
        raise ValueError(f"unknown confidence scaling {params.confidence!r}; expected 'linear' or 'log'")
    order = np.lexsort((coo.col, coo.row))
    return pd.DataFrame(
        {
            "user": coo.row[order].astype(np.int32),
            "item": coo.col[order].astype(np.int32),
            "rating": values[order].astype(np.float32),
        }
    )


def reg_param_for(ratings: pd.DataFrame, regularization: float) -> float:
    """MLlib's regParam for `implicit`'s lambda: regParam * n_i = lambda for an item with the mean number
    of users n_i, so item factors shrink as in `implicit` on average (matched to the mean user instead, the
    mean item got 1.8x lambda, popular items more, and ALS NDCG@10 fell by 0.18 at `tiny`); 0 ratings: lambda."""
    items = ratings["item"].nunique()
    return float(regularization * items / len(ratings)) if len(ratings) else float(regularization)


@contextmanager
def spark_for_fit() -> Iterator[Any]:
    """The running Spark session (the Spark harness's, or a cluster's), else a local one started for the
    fit and stopped after it (the DuckDB pipeline). Driver memory: TAILOR_SPARK_DRIVER_MEMORY (2g)."""
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ImportError(
            "recommendations.fit_engine spark_als needs pyspark: TAILOR_TARGET=spark scripts/bootstrap.sh "
            "installs it (requirements-spark.txt)"
        ) from error
    if SparkContext._active_spark_context is not None:
        yield SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        return
    session = (
        SparkSession.builder.master("local[*]")
        .appName("tailor-als-fit")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("TAILOR_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.shuffle.partitions", str(ALS_BLOCKS))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()


@contextmanager
def checkpoint_dir(session: Any) -> Iterator[None]:
    """The session's checkpoint folder (ALS checkpoints every CHECKPOINT_EVERY sweeps); a local session
    without one of its own gets a temporary folder for the fit, removed after it. A cluster needs one on
    shared storage (spark.checkpoint.dir)."""
    context = session.sparkContext
    configured = context.getCheckpointDir()
    if configured is not None and CHECKPOINT_PREFIX not in configured:
        yield
        return
    if not context.master.startswith("local"):
        raise RuntimeError(
            "recommendations.fit_engine spark_als needs a checkpoint folder on shared storage: set "
            "spark.checkpoint.dir (e.g. dbfs:/tmp/checkpoints) on the cluster"
        )
    folder = tempfile.mkdtemp(prefix=CHECKPOINT_PREFIX)
    context.setCheckpointDir(folder)
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _factor_array(frame: pd.DataFrame, size: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) rows as a dense float32 array indexed by id; ids never rated stay zero."""
    factors = np.zeros((size, rank), dtype=np.float32)
    if len(frame):
        factors[frame["id"].to_numpy(dtype=np.int64)] = np.stack(
            [np.asarray(vector, dtype=np.float32) for vector in frame["features"]]
        )
    return factors


def fit_spark_als(
    ratings: pd.DataFrame, n_users: int, n_items: int, params: CFParams, session: Any | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(user factors n_users x factors, item factors n_items x factors), float32, as `implicit` returns
    them, fitted by MLlib's implicit-preference ALS on `ratings_frame` rows.

    `session`: a SparkSession (None: `spark_for_fit`). Rows are sorted and the block count fixed, so the
    initial factors and each block's rows are the same on any cluster; the normal equations are still
    summed in the order shuffled blocks arrive, which can move the last float32 digits between runs.
    """
    if params.algorithm != "als":
        raise ValueError(f"fit_engine spark_als fits ALS only, not {params.algorithm!r}")
    if session is None:
        with spark_for_fit() as started:
            return fit_spark_als(ratings, n_users, n_items, params, started)
    with checkpoint_dir(session):
        return _fit(ratings, n_users, n_items, params, session)


def _fit(ratings: pd.DataFrame, n_users: int, n_items: int, params: CFParams, session: Any) -> tuple[Any, Any]:
    from pyspark.ml.recommendation import ALS

    frame = session.createDataFrame(ratings[list(RATING_COLUMNS)].reset_index(drop=True))
    als = ALS(
        rank=params.factors,
        maxIter=params.iterations,
        regParam=reg_param_for(ratings, params.regularization),
        implicitPrefs=True,
        alpha=params.alpha,
        nonnegative=False,
        numUserBlocks=ALS_BLOCKS,
        numItemBlocks=ALS_BLOCKS,
        seed=params.random_state,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        checkpointInterval=CHECKPOINT_EVERY,
    )
    model = als.fit(frame)
    users = model.userFactors.toPandas()
    items = model.itemFactors.toPandas()
    return _factor_array(users, n_users, params.factors), _factor_array(items, n_items, params.factors)
