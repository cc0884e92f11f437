"""The distributed fit (`recommendations.fit_engine: spark_als`, tailor.recommend.spark_als): MLlib's ALS on
the confidence weights `implicit` reads, factors in the shape `implicit` returns, on a real local Spark.
The Spark tests are skipped where pyspark is not installed (`TAILOR_TARGET=spark scripts/bootstrap.sh`)."""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tailor.recommend.collaborative import CFParams, fit_cf, similar_items
from tailor.recommend.data import InteractionMatrix, confidence_matrix
from tailor.recommend.settings import RecsSettings
from tailor.recommend.spark_als import CHECKPOINT_PREFIX, ratings_frame, reg_param_for
from tailor.settings import SettingsError

PARAMS = CFParams(factors=16, regularization=5.0, alpha=5.0, iterations=10, random_state=3)
needs_spark = pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark not installed")


@pytest.mark.parametrize("scaling", ["linear", "log"])
def test_mllib_confidence_of_each_rating_is_the_implicit_confidence(matrix: InteractionMatrix, scaling: str) -> None:
    params = replace(PARAMS, confidence=scaling, epsilon=2.0)
    ratings = ratings_frame(matrix.matrix, params)
    expected = confidence_matrix(matrix.matrix, params.alpha, scaling, params.epsilon).tocoo()
    by_pair = dict(zip(zip(expected.row, expected.col, strict=True), expected.data, strict=True))
    mllib = 1.0 + params.alpha * np.abs(ratings["rating"].to_numpy(np.float64))  # MLlib's c = 1 + alpha |r|
    wanted = np.array([by_pair[pair] for pair in zip(ratings["user"], ratings["item"], strict=True)])
    np.testing.assert_allclose(mllib, wanted, rtol=1e-6)
    assert (ratings["rating"] > 0).all()  # MLlib's preference p = 1 exactly where implicit's is
    assert len(ratings) == matrix.matrix.nnz


def test_reg_param_matches_lambda_for_the_mean_item() -> None:
    import pandas as pd

    ratings = pd.DataFrame({"user": [0, 0, 0, 1], "item": [0, 1, 2, 0], "rating": [1.0, 1.0, 1.0, 1.0]})
    # 3 items, 4 ratings: the mean item has 4/3 users, so regParam x 4/3 = lambda
    assert reg_param_for(ratings, 20.0) == pytest.approx(15.0)


def test_spark_als_is_a_setting_and_fits_als_only() -> None:
    settings = RecsSettings.from_mapping({"fit_engine": "spark_als"})
    assert settings.cf.fit_engine == "spark_als"
    assert RecsSettings().cf.fit_engine == "implicit"
    assert settings.model_version() != RecsSettings().model_version()
    # the default engine leaves the version as it was before the setting existed: no refit on upgrade
    assert RecsSettings().model_version() == "als-f32-r20-a1-i15-w0.85-deb00852"
    with pytest.raises(SettingsError, match="fit_engine"):
        RecsSettings.from_mapping({"fit_engine": "mllib"})
    with pytest.raises(SettingsError, match="ALS only"):
        RecsSettings.from_mapping({"fit_engine": "spark_als", "algorithm": "bpr"})


@needs_spark
def test_without_a_session_the_fit_starts_a_local_one_and_stops_it(matrix: InteractionMatrix) -> None:
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        pytest.skip("a Spark session is already running in this process")
    model = fit_cf(matrix, replace(PARAMS, fit_engine="spark_als", iterations=2))
    assert model.user_factors.shape == (len(model.user_ids), PARAMS.factors)
    assert SparkContext._active_spark_context is None


@needs_spark
def test_a_long_fit_checkpoints_in_a_folder_removed_after_it(spark, matrix: InteractionMatrix) -> None:
    before = set(Path(tempfile.gettempdir()).glob(f"{CHECKPOINT_PREFIX}*"))
    # 20 sweeps: past the lineage that overflowed the JVM stack without checkpoints
    model = fit_cf(matrix, replace(PARAMS, fit_engine="spark_als", iterations=20))
    assert np.isfinite(model.item_factors).all()
    assert set(Path(tempfile.gettempdir()).glob(f"{CHECKPOINT_PREFIX}*")) <= before


@needs_spark
def test_spark_als_factors_have_implicits_shape_and_axes(spark, matrix: InteractionMatrix) -> None:
    spark_model = fit_cf(matrix, replace(PARAMS, fit_engine="spark_als"))
    implicit_model = fit_cf(matrix, PARAMS)
    assert spark_model.user_factors.shape == implicit_model.user_factors.shape
    assert spark_model.item_factors.shape == implicit_model.item_factors.shape
    assert spark_model.user_factors.dtype == np.float32 and spark_model.item_factors.dtype == np.float32
    assert list(spark_model.user_ids) == list(implicit_model.user_ids)
    assert list(spark_model.item_ids) == list(implicit_model.item_ids)
    assert np.abs(spark_model.user_factors).sum(axis=1).min() > 0  # every user was fitted
    # the harness's session is reused, not stopped
    assert not spark.sparkContext._jsc.sc().isStopped()


@needs_spark
def test_spark_als_recovers_the_planted_categories_as_implicit_does(spark, planted, matrix: InteractionMatrix) -> None:
    category = planted.catalog.set_index("item_id")["category"]
    for params in (PARAMS, replace(PARAMS, fit_engine="spark_als")):
        similar = similar_items(fit_cf(matrix, params), 5)
        same = category.reindex(similar["item_id"]).to_numpy() == category.reindex(similar["similar_item_id"])
        assert same.to_numpy().mean() > 0.8, params.fit_engine


@needs_spark
def test_spark_als_same_seed_same_factors(spark, matrix: InteractionMatrix) -> None:
    params = replace(PARAMS, fit_engine="spark_als")
    first, again = fit_cf(matrix, params), fit_cf(matrix, params)
    # the same up to float32 summation order (module docstring)
    np.testing.assert_allclose(first.item_factors, again.item_factors, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(first.user_factors, again.user_factors, rtol=1e-4, atol=1e-5)
    reseeded = fit_cf(matrix, replace(params, random_state=4))
    assert np.abs(first.item_factors - reseeded.item_factors).max() > 1e-3
