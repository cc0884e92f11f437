"""Fill missing person attributes from similar people, never touching observed values, and say which values
were filled so every consumer can tell observed from inferred.

Categories (age band, country) are predicted by a shallow decision tree over behaviour features: it picks
the few features that carry signal (the currency someone pays in says more about their country than a
dozen engagement counts) where nearest neighbours would drown it in irrelevant distances. Numbers (price
sensitivity) take the mean of the k nearest neighbours. Either way a target is filled only when the model
predicts held-out observed rows better than a constant does (otherwise behaviour carries no signal about it
and a fill would be noise dressed up as data), and a category only where the model is sure enough.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier


@dataclass(frozen=True)
class ImputationSettings:
    """Knobs shared by every imputed target."""

    n_neighbors: int = 5  # numbers: neighbours averaged
    min_observed: int = 20  # fewer observed rows than this: nothing to learn from, impute nothing
    min_vote_share: float = 0.6  # categories: least predicted probability of the filled value
    n_folds: int = 5  # cross-validation folds of the signal check
    tree_max_depth: int = 4
    tree_min_leaf_share: float = 0.02  # a leaf holds at least this share of the training rows (and >= 5)
    max_train_rows: int = 50_000  # larger observed sets are thinned by a fixed stride: same input, same rows


def feature_matrix(frame: pd.DataFrame, columns: Sequence[str], categorical_columns: Sequence[str] = ()) -> np.ndarray:
    """Numeric matrix for distances: booleans as 0/1, categories one-hot (missing = all zeros), missing numbers
    as the column median, each column standardized (a constant column becomes 0) so no unit dominates."""
    parts: list[np.ndarray] = []
    if columns:
        values = frame[list(columns)].apply(pd.to_numeric, errors="coerce").astype("float64").to_numpy(copy=True)
        with np.errstate(all="ignore"):
            medians = np.nanmedian(values, axis=0) if len(values) else np.zeros(values.shape[1])
        medians = np.where(np.isnan(medians), 0.0, medians)
        rows, cols = np.where(np.isnan(values))
        values[rows, cols] = medians[cols]
        parts.append(values)
    for column in categorical_columns:
        labels = frame[column].astype(object).where(frame[column].notna(), None)
        for category in sorted({v for v in labels if v is not None}, key=str):
            parts.append((labels == category).to_numpy(dtype="float64").reshape(-1, 1))
    if not parts:
        return np.zeros((len(frame), 0))
    matrix = np.hstack(parts)
    mean = matrix.mean(axis=0) if len(matrix) else np.zeros(matrix.shape[1])
    std = matrix.std(axis=0) if len(matrix) else np.ones(matrix.shape[1])
    std = np.where(std > 0, std, 1.0)
    return (matrix - mean) / std


def _model(
    categorical: bool, n_train: int, settings: ImputationSettings
) -> DecisionTreeClassifier | KNeighborsRegressor:
    if categorical:
        return DecisionTreeClassifier(
            max_depth=settings.tree_max_depth,
            min_samples_leaf=max(5, int(settings.tree_min_leaf_share * n_train)),
            random_state=0,  # equal-gain splits are broken by a seeded permutation: deterministic
        )
    # brute force: exact neighbours, ties broken by row order, so the caller's sort makes it deterministic
    return KNeighborsRegressor(n_neighbors=max(1, min(settings.n_neighbors, n_train)), algorithm="brute")


def _training_rows(mask: np.ndarray, max_rows: int) -> np.ndarray:
    """Indices of the observed rows to learn from, thinned to at most `max_rows` by a fixed stride."""
    rows = np.flatnonzero(mask)
    if len(rows) <= max_rows:
        return rows
    return rows[:: int(np.ceil(len(rows) / max_rows))]


def _constant_prediction(train: np.ndarray, size: int, categorical: bool) -> np.ndarray:
    if categorical:
        values, counts = np.unique(train, return_counts=True)
        return np.full(size, values[np.argmax(counts)], dtype=object)
    return np.full(size, float(np.median(train)))


def _error(truth: np.ndarray, predicted: np.ndarray, categorical: bool) -> float:
    if categorical:
        return float(np.mean(truth != predicted))
    return float(np.mean(np.abs(truth.astype("float64") - predicted.astype("float64"))))


def signal_check(
    features: np.ndarray, observed: np.ndarray, categorical: bool, settings: ImputationSettings | None = None
) -> tuple[float, float]:
    """Cross-validated error of the model and of a constant (majority class / median) on the observed rows:
    (model_error, constant_error). Folds are assigned by row order, so the result is deterministic."""
    settings = settings or ImputationSettings()
    n = len(observed)
    folds = np.arange(n) % max(2, min(settings.n_folds, n))
    model_errors, constant_errors, sizes = [], [], []
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        model = _model(categorical, int(train.sum()), settings).fit(features[train], observed[train])
        model_errors.append(_error(observed[test], model.predict(features[test]), categorical))
        constant = _constant_prediction(observed[train], int(test.sum()), categorical)
        constant_errors.append(_error(observed[test], constant, categorical))
        sizes.append(int(test.sum()))
    weights = np.asarray(sizes, dtype="float64")
    return float(np.average(model_errors, weights=weights)), float(np.average(constant_errors, weights=weights))


def impute_target(
    features: np.ndarray,
    target: pd.Series,
    settings: ImputationSettings | None = None,
    categorical: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Fill the missing entries of `target` from the rows that have it observed. Returns (filled values,
    is_imputed). Nothing is filled when fewer than `min_observed` rows are observed or when the model
    predicts held-out observed values no better than a constant; a category is filled only where its
    predicted probability reaches `min_vote_share`."""
    settings = settings or ImputationSettings()
    target = target.reset_index(drop=True)
    missing = target.isna().to_numpy()
    is_imputed = pd.Series(np.zeros(len(target), dtype=bool))
    filled = target.astype(object if categorical else "float64").copy()
    if missing.all() or missing.sum() == 0 or features.shape[0] != len(target):
        return filled, is_imputed
    train_rows = _training_rows(~missing, settings.max_train_rows)
    if len(train_rows) < max(settings.min_observed, 2):
        return filled, is_imputed
    labels = target[train_rows]
    observed = labels.astype(str).to_numpy(dtype=object) if categorical else labels.astype("float64").to_numpy()
    model_error, constant_error = signal_check(features[train_rows], observed, categorical, settings)
    if model_error >= constant_error:
        return filled, is_imputed
    model = _model(categorical, len(train_rows), settings).fit(features[train_rows], observed)
    predicted = model.predict(features[missing])
    accept = np.ones(len(predicted), dtype=bool)
    if categorical:
        accept = model.predict_proba(features[missing]).max(axis=1) >= settings.min_vote_share
    rows = np.flatnonzero(missing)[accept]
    filled[rows] = predicted[accept]
    is_imputed[rows] = True
    return filled, is_imputed


def impute_columns(
    frame: pd.DataFrame,
    key: str,
    feature_columns: Sequence[str],
    categorical_targets: Sequence[str] = (),
    numeric_targets: Sequence[str] = (),
    categorical_features: Sequence[str] = (),
    settings: ImputationSettings | None = None,
    excluded_features: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One row per `key` with each target filled and a `<target>_is_imputed` flag. Rows are sorted by the
    key first so the same input always yields the same neighbours. A target never serves as its own
    feature, nor do the features `excluded_features[target]` names (those it is computed from, which are
    missing exactly when it is)."""
    ordered = frame.sort_values(key, kind="mergesort").reset_index(drop=True)
    result = pd.DataFrame({key: ordered[key]})
    for target in [*categorical_targets, *numeric_targets]:
        excluded = {target, *(excluded_features or {}).get(target, ())}
        matrix = feature_matrix(
            ordered,
            [c for c in feature_columns if c not in excluded],
            [c for c in categorical_features if c not in excluded],
        )
        filled, is_imputed = impute_target(
            matrix, ordered[target], settings=settings, categorical=target in categorical_targets
        )
        result[target] = filled
        result[f"{target}_is_imputed"] = is_imputed.astype(bool)
    return result
