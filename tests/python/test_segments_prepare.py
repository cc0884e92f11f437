"""Segment feature preparation: transforms, missing handling, imputed flags, one-hot, taste embedding."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tailor.segments import (
    NumericFeature,
    config_from_mapping,
    fit_preparation,
    prepare_features,
    transform_features,
)
from tailor.segments.synthetic import PERSONA_CONFIG, make_persona_profiles

SMALL = replace(
    PERSONA_CONFIG,
    numeric_features=(NumericFeature("monetary_usd", log1p=True), NumericFeature("discount_share")),
    categorical_features=("loyalty_tier",),
    embedding_components=0,
    scaler="standard",
    clip=100.0,
)


def small_profiles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "monetary_usd": [0.0, 9.0, 99.0, None, 999.0],
            "monetary_usd_is_imputed": [False, False, False, False, True],
            "discount_share": [0.1, 0.2, 0.3, 0.4, 0.5],
            "loyalty_tier": ["gold", "gold", None, "silver", "gold"],
        }
    )


def column(prepared, name: str) -> np.ndarray:
    return prepared.matrix[:, prepared.feature_names.index(name)]


def test_feature_names_match_matrix_columns() -> None:
    data = make_persona_profiles(800, seed=3)
    prepared, preparation = prepare_features(data.profiles, data.interactions, PERSONA_CONFIG)
    assert prepared.matrix.shape == (800, len(prepared.feature_names))
    assert prepared.feature_names == preparation.feature_names
    assert len(set(prepared.feature_names)) == len(prepared.feature_names)
    assert np.isfinite(prepared.matrix).all()
    assert "monetary_usd__missing" in prepared.feature_names
    assert "loyalty_tier=gold" in prepared.feature_names
    assert [name for name in prepared.feature_names if name.startswith("taste_svd_")] == [
        f"taste_svd_{i}" for i in range(1, 9)
    ]


def test_imputed_flag_counts_as_missing_and_median_fills() -> None:
    prepared, preparation = prepare_features(small_profiles(), config=SMALL)
    # observed (non-imputed) monetary: 0, 9, 99 -> log1p median is log(10)
    assert preparation.medians["monetary_usd"] == pytest.approx(np.log(10.0))
    np.testing.assert_array_equal(column(prepared, "monetary_usd__missing"), [0, 0, 0, 0.5, 0.5])
    scaled = column(prepared, "monetary_usd")
    assert scaled[3] == pytest.approx(scaled[1]) and scaled[4] == pytest.approx(scaled[1])
    assert "discount_share__missing" not in prepared.feature_names


def test_log1p_compresses_heavy_tail_and_clips_negatives() -> None:
    frame = small_profiles().assign(
        monetary_usd=[-5.0, 0.0, 10.0, 100.0, 100000.0], monetary_usd_is_imputed=False
    )
    prepared, _ = prepare_features(frame, config=SMALL)
    scaled = column(prepared, "monetary_usd")
    assert scaled[0] == pytest.approx(scaled[1])
    assert np.all(np.diff(scaled[1:]) > 0)
    ratio = (scaled[4] - scaled[3]) / (scaled[3] - scaled[2])
    assert ratio == pytest.approx((np.log1p(1e5) - np.log1p(100)) / (np.log1p(100) - np.log1p(10)))


def test_robust_scaling_clips_outliers() -> None:
    frame = pd.DataFrame(
        {"person_id": [f"p{i}" for i in range(101)], "discount_share": [0.0] * 50 + [1.0] * 50 + [1e6]}
    )
    config = replace(PERSONA_CONFIG, numeric_features=(NumericFeature("discount_share"),), categorical_features=())
    prepared, _ = prepare_features(frame, config=config)
    assert prepared.matrix[:, 0].max() == pytest.approx(config.clip)


def test_categories_one_hot_with_missing_and_other_levels() -> None:
    config = replace(
        PERSONA_CONFIG,
        numeric_features=(NumericFeature("discount_share"),),
        categorical_features=("loyalty_tier",),
        max_categories=2,
        categorical_weight=1.0,
    )
    preparation = fit_preparation(small_profiles(), config=config)
    assert preparation.categories["loyalty_tier"] == ("gold", "missing", "other")
    batch = pd.DataFrame(
        {"person_id": ["x", "y"], "discount_share": [0.2, 0.3], "loyalty_tier": ["platinum", None]}
    )
    prepared = transform_features(preparation, batch)
    np.testing.assert_array_equal(column(prepared, "loyalty_tier=other"), [1.0, 0.0])
    np.testing.assert_array_equal(column(prepared, "loyalty_tier=missing"), [0.0, 1.0])


def test_absent_columns_are_skipped_at_fit_and_median_filled_at_transform() -> None:
    preparation = fit_preparation(small_profiles().drop(columns="discount_share"), config=SMALL)
    assert [f.name for f in preparation.numeric] == ["monetary_usd"]
    preparation = fit_preparation(small_profiles(), config=SMALL)
    prepared = transform_features(
        preparation, small_profiles().drop(columns=["discount_share", "loyalty_tier"])
    )
    assert prepared.feature_names == preparation.feature_names
    center = preparation.centers["discount_share"]
    expected = (preparation.medians["discount_share"] - center) / preparation.scales["discount_share"]
    np.testing.assert_allclose(column(prepared, "discount_share"), expected)


def test_preparation_is_deterministic_and_reusable_on_new_batches() -> None:
    data = make_persona_profiles(1000, seed=5)
    first, preparation = prepare_features(data.profiles, data.interactions, PERSONA_CONFIG)
    second, _ = prepare_features(data.profiles, data.interactions, PERSONA_CONFIG)
    np.testing.assert_array_equal(first.matrix, second.matrix)
    again = transform_features(preparation, data.profiles, data.interactions)
    np.testing.assert_allclose(again.matrix, first.matrix)


def test_taste_embedding_is_row_normalised_and_optional() -> None:
    data = make_persona_profiles(600, seed=2)
    prepared, preparation = prepare_features(
        data.profiles, data.interactions, replace(PERSONA_CONFIG, embedding_components=3)
    )
    assert preparation.embedding is not None and preparation.embedding.components.shape == (3, 20)
    doubled = data.interactions.assign(weight=data.interactions["weight"] * 10)
    scaled_prepared = transform_features(preparation, data.profiles, doubled)
    np.testing.assert_allclose(scaled_prepared.matrix, prepared.matrix, atol=1e-9)
    without, prep_without = prepare_features(data.profiles, None, PERSONA_CONFIG)
    assert prep_without.embedding is None
    assert not any(name.startswith("taste_svd") for name in without.feature_names)


def test_config_from_mapping_reads_vars_and_rejects_typos() -> None:
    config = config_from_mapping(
        {"k_min": 3, "k_max": 5, "numeric_features": [{"name": "monetary_usd", "log1p": True}]}
    )
    assert config.k_min == 3 and config.numeric_features == (NumericFeature("monetary_usd", True),)
    with pytest.raises(ValueError, match="unknown segments setting.*: kmax;"):
        config_from_mapping({"kmax": 5})
    with pytest.raises(ValueError, match="segments.k_min must be an integer"):
        config_from_mapping({"k_min": "3"})
    with pytest.raises(ValueError):
        replace(PERSONA_CONFIG, k_min=6, k_max=4)
