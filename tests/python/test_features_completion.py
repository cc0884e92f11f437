"""Unit tests for profile completion: imputation wiring, flags and the confidence columns."""

from __future__ import annotations

import pandas as pd

from tailor.features.completion import CompletionSettings, complete_profiles
from tailor.features.imputation import ImputationSettings


def _features() -> pd.DataFrame:
    rows = []
    for i in range(30):
        heavy = i % 2 == 0
        rows.append(
            {
                "person_id": f"p{i:02d}",
                "has_user_id": heavy,
                "has_email": True,
                "session_count": 30 if heavy else 1,
                "sessions_90d": 30 if heavy else 1,
                "video_seconds": 900.0 if heavy else 0.0,
                "frequency_orders": 0 if heavy else 4,
                "age_band": "18-24" if heavy else "55-64",
                "gender": "female",
                "country_code": "DE" if heavy else "US",
                "price_sensitivity": 0.8 if heavy else 0.2,
            }
        )
    rows.append({**rows[0], "person_id": "zz_missing", "age_band": None, "country_code": None, "gender": None})
    rows.append(
        {
            **rows[1],
            "person_id": "zz_anonymous",
            "has_user_id": False,
            "has_email": False,
            "session_count": 0,
            "frequency_orders": 0,
            "price_sensitivity": None,
        }
    )
    return pd.DataFrame(rows)


def test_complete_profiles_imputes_and_scores() -> None:
    result = complete_profiles(
        _features(), CompletionSettings(imputation=ImputationSettings(min_observed=5))
    ).set_index("person_id")
    missing = result.loc["zz_missing"]
    assert missing["age_band"] == "18-24" and bool(missing["age_band_is_imputed"])
    assert missing["country_code"] == "DE" and bool(missing["country_code_is_imputed"])
    assert missing["demographics_observed_count"] == 0
    anonymous = result.loc["zz_anonymous"]
    assert bool(anonymous["price_sensitivity_is_imputed"])
    assert anonymous["profile_confidence"] < result.loc["p01", "profile_confidence"]
    assert bool(anonymous["is_low_confidence"])
    assert result["profile_confidence"].between(0, 1).all()
    observed = result.drop(index=["zz_missing", "zz_anonymous"])
    assert not observed["age_band_is_imputed"].any() and not observed["country_code_is_imputed"].any()


def test_complete_profiles_tolerates_missing_columns() -> None:
    frame = pd.DataFrame({"person_id": ["a", "b"], "session_count": [1, 2]})
    result = complete_profiles(frame)
    assert list(result["person_id"]) == ["a", "b"]
    assert result["profile_confidence"].between(0, 1).all()
