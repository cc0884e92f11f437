"""Unit tests for KNN imputation: observed values untouched, flags right, deterministic, only with signal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tailor.features.imputation import (
    ImputationSettings,
    feature_matrix,
    impute_columns,
    impute_target,
    signal_check,
)

SMALL = ImputationSettings(n_neighbors=5, min_observed=5, min_vote_share=0.6)


def _frame() -> pd.DataFrame:
    # two clusters in behaviour space: young heavy video watchers in DE, older buyers in US
    rows = []
    for i in range(12):
        rows.append({"person_id": f"a{i:02d}", "video": 100 + i, "orders": 0, "age_band": "18-24", "country": "DE"})
        rows.append({"person_id": f"b{i:02d}", "video": 0, "orders": 8 + i % 3, "age_band": "55-64", "country": "US"})
    rows.append({"person_id": "x1", "video": 105, "orders": 0, "age_band": None, "country": None})
    rows.append({"person_id": "x2", "video": 1, "orders": 9, "age_band": None, "country": "FR"})
    return pd.DataFrame(rows)


def test_feature_matrix_standardizes_fills_and_one_hot_encodes() -> None:
    frame = pd.DataFrame(
        {"a": [1.0, None, 3.0], "b": [True, False, True], "c": [5, 5, 5], "currency": ["EUR", None, "USD"]}
    )
    matrix = feature_matrix(frame, ["a", "b", "c"], ["currency"])
    assert matrix.shape == (3, 5)  # three numbers + EUR + USD
    assert not np.isnan(matrix).any()
    assert np.allclose(matrix[:, 2], 0.0)
    assert np.isclose(matrix[1, 0], 0.0)  # median-filled sits at the mean here
    assert matrix[0, 3] > 0 > matrix[1, 3]  # EUR column: set for row 0 only


def test_impute_columns_fills_from_neighbours_and_flags() -> None:
    frame = _frame().sample(frac=1.0, random_state=3)  # input order must not matter
    result = impute_columns(
        frame, "person_id", ["video", "orders"], categorical_targets=["age_band", "country"], settings=SMALL
    )
    by_id = result.set_index("person_id")
    assert by_id.loc["x1", "age_band"] == "18-24" and bool(by_id.loc["x1", "age_band_is_imputed"])
    assert by_id.loc["x1", "country"] == "DE" and bool(by_id.loc["x1", "country_is_imputed"])
    assert by_id.loc["x2", "age_band"] == "55-64"
    # observed values are never overwritten
    assert by_id.loc["x2", "country"] == "FR" and not bool(by_id.loc["x2", "country_is_imputed"])
    observed = _frame().set_index("person_id")
    for pid in observed.index.drop(["x1", "x2"]):
        assert by_id.loc[pid, "age_band"] == observed.loc[pid, "age_band"]
        assert not bool(by_id.loc[pid, "age_band_is_imputed"])


def test_impute_columns_is_deterministic() -> None:
    frame = _frame()
    kwargs = {"categorical_targets": ["age_band"], "settings": SMALL}
    first = impute_columns(frame, "person_id", ["video", "orders"], **kwargs)
    second = impute_columns(frame.iloc[::-1], "person_id", ["video", "orders"], **kwargs)
    pd.testing.assert_frame_equal(first, second)


def test_numeric_target_uses_neighbour_mean() -> None:
    x = [0.0 + i / 100 for i in range(10)] + [10.0 + i / 100 for i in range(10)]
    y = [0.1] * 10 + [0.9] * 10
    y[4], y[15] = None, None
    frame = pd.DataFrame(
        {"person_id": [f"p{i:02d}" for i in range(20)], "x": x, "price_sensitivity": pd.array(y, dtype="Float64")}
    )
    result = impute_columns(frame, "person_id", ["x"], numeric_targets=["price_sensitivity"], settings=SMALL)
    by_id = result.set_index("person_id")
    assert np.isclose(by_id.loc["p04", "price_sensitivity"], 0.1)
    assert np.isclose(by_id.loc["p15", "price_sensitivity"], 0.9)
    assert by_id["price_sensitivity_is_imputed"].sum() == 2


def test_signal_check_separates_signal_from_noise() -> None:
    features = feature_matrix(_frame().iloc[:24], ["video", "orders"])
    labels = _frame().iloc[:24]["country"].to_numpy(dtype=object)
    model_error, constant_error = signal_check(features, labels, categorical=True, settings=SMALL)
    assert model_error < constant_error


def test_no_signal_means_no_imputation() -> None:
    rng = np.random.default_rng(7)
    n = 200
    features = rng.normal(size=(n, 3))
    labels = pd.Series(np.where(rng.random(n) < 0.7, "a", "b"), dtype=object)
    labels[rng.random(n) < 0.3] = None
    filled, is_imputed = impute_target(features, labels, ImputationSettings(min_observed=20))
    assert not is_imputed.any()
    assert filled.isna().sum() == labels.isna().sum()


def test_unsure_prediction_is_not_imputed() -> None:
    x = [i / 10 for i in range(10)] + [10 + i / 10 for i in range(10)] + [20 + i / 10 for i in range(10)]
    labels = ["a"] * 10 + ["b"] * 10 + ["a", "b"] * 5  # the third cluster is a coin flip
    features = np.array([*x, 20.45, 0.45]).reshape(-1, 1)
    target = pd.Series([*labels, None, None], dtype=object)
    # any leaf of 5+ alternating labels holds at most 60% of one label
    filled, is_imputed = impute_target(features, target, ImputationSettings(min_observed=5, min_vote_share=0.7))
    assert not is_imputed[30]
    assert is_imputed[31] and filled[31] == "a"


def test_training_rows_are_thinned_deterministically() -> None:
    features = np.arange(1000, dtype="float64").reshape(-1, 1)
    target = pd.Series(np.where(np.arange(1000) < 500, "low", "high"), dtype=object)
    target[[10, 990]] = None
    settings = ImputationSettings(min_observed=5, max_train_rows=100)
    first, flags = impute_target(features, target, settings)
    second, _ = impute_target(features, target, settings)
    assert first[10] == "low" and first[990] == "high" and flags.sum() == 2
    pd.testing.assert_series_equal(first, second)


def test_too_few_observed_rows_fill_nothing() -> None:
    target = pd.Series(["a", None, None])
    filled, is_imputed = impute_target(np.zeros((3, 1)), target, ImputationSettings(min_observed=2))
    assert filled.isna().sum() == 2
    assert not is_imputed.any()


def test_excluded_features_are_not_used() -> None:
    frame = _frame()
    frame["leak"] = np.where(frame["age_band"].isna(), np.nan, 1.0)
    with_leak = impute_columns(frame, "person_id", ["video", "orders", "leak"], ["age_band"], settings=SMALL)
    excluded = impute_columns(
        frame,
        "person_id",
        ["video", "orders", "leak"],
        ["age_band"],
        settings=SMALL,
        excluded_features={"age_band": ["leak"]},
    )
    plain = impute_columns(frame, "person_id", ["video", "orders"], ["age_band"], settings=SMALL)
    pd.testing.assert_frame_equal(excluded, plain)
    assert len(with_leak) == len(plain)
