"""When the recommender refits (tailor.recommend.cadence) and what it does between refits
(tailor.recommend.refresh): anchored dates, the retraining flag and erasures, the persons rescored, and
that a build from stored rows equals one from nothing at the same date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tailor.recommend.cadence import (
    CADENCE,
    ERASURE,
    REFIT_EPOCH,
    RETRAINING_FLAG,
    cadence_refit_date,
    flag_refit_date,
    plan_frame,
    plan_from_frame,
    plan_refit,
)
from tailor.recommend.collaborative import CFParams, fit_cf, recalculate_users
from tailor.recommend.data import InteractionMatrix
from tailor.recommend.refresh import (
    SCORED_COLUMNS,
    RefitInputs,
    factors_of_consenting,
    fit_id,
    fitted_factors,
    fold_in,
    persons_to_rescore,
    recommendations_between_refits,
    rests_on_fit,
)
from tailor.recommend.settings import RecsSettings
from tailor.recommend.synthetic import planted_dataset
from tailor.settings import SettingsError

NO_RUNS = pd.DataFrame({"as_of_at": pd.Series([], dtype="datetime64[us]"), "is_retraining_needed": []})
NO_ERASURES = pd.Series([], dtype="datetime64[us]")


def test_refit_every_days_is_a_setting_of_at_least_one_day() -> None:
    assert RecsSettings().refit_every_days == 7
    assert RecsSettings.from_mapping({"refit_every_days": 3}).refit_every_days == 3
    with pytest.raises(SettingsError, match="refit_every_days"):
        RecsSettings.from_mapping({"refit_every_days": 0})


def test_cadence_dates_are_anchored_so_every_day_of_a_window_finds_the_same_refit() -> None:
    assert REFIT_EPOCH.weekday() == 0
    monday = dt.date(2026, 11, 30)
    week = [monday + dt.timedelta(days=offset) for offset in range(7)]
    assert {cadence_refit_date(day, 7) for day in week} == {monday}
    assert cadence_refit_date(monday + dt.timedelta(days=7), 7) == monday + dt.timedelta(days=7)
    assert cadence_refit_date(monday + dt.timedelta(days=2), 1) == monday + dt.timedelta(days=2)
    # every 3 days from the anchor
    assert (cadence_refit_date(dt.date(2026, 12, 5), 3) - REFIT_EPOCH).days % 3 == 0


def runs(*flags: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of_at": [pd.Timestamp("2026-12-01 23:00") + pd.Timedelta(days=day) for day in range(len(flags))],
            "is_retraining_needed": list(flags),
        }
    )


def test_the_first_flagged_run_of_a_streak_dates_the_flag_refit() -> None:
    history = runs(False, True, True, False, True)
    assert flag_refit_date(history, pd.Timestamp("2026-12-03 23:30")) == dt.date(2026, 12, 2)
    assert flag_refit_date(history, pd.Timestamp("2026-12-05 23:30")) == dt.date(2026, 12, 5)
    # runs after the as-of time are not known to the build
    assert flag_refit_date(history, pd.Timestamp("2026-12-01 23:30")) is None
    assert flag_refit_date(NO_RUNS, pd.Timestamp("2026-12-05")) is None


def test_the_plan_takes_the_latest_of_cadence_flag_and_erasure() -> None:
    as_of = pd.Timestamp("2026-12-04 22:00")  # a Friday: the weekly cadence date is Monday 2026-11-30
    plan = plan_refit(as_of, 7, NO_RUNS, NO_ERASURES)
    assert (plan.refit_date, plan.refit_reason) == (dt.date(2026, 11, 30), CADENCE)
    assert plan.refit_at == pd.Timestamp("2026-12-01")
    flagged = plan_refit(as_of, 7, runs(False, True), NO_ERASURES)
    assert (flagged.refit_date, flagged.refit_reason) == (dt.date(2026, 12, 2), RETRAINING_FLAG)
    erased = plan_refit(as_of, 7, runs(False, True), pd.Series([pd.Timestamp("2026-12-03 08:00")]))
    assert (erased.refit_date, erased.refit_reason) == (dt.date(2026, 12, 3), ERASURE)
    # a request dated after the as-of time counts on the as-of date; an older one moves nothing
    late = plan_refit(as_of, 7, NO_RUNS, pd.Series([pd.Timestamp("2027-01-01")]))
    assert late.refit_date == as_of.date()
    old = plan_refit(as_of, 7, NO_RUNS, pd.Series([pd.Timestamp("2026-11-01")]))
    assert old.refit_reason == CADENCE
    assert plan_from_frame(plan_frame(erased)) == erased


def rows(person: str, sources: list[str], items: list[str], scored_at: str, fitted_at: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": person,
            "rank": range(1, len(items) + 1),
            "item_id": items,
            "rec_source": sources,
            "scored_at": pd.Timestamp(scored_at),
            "factors_fitted_at": pd.Timestamp(fitted_at),
        }
    )


def test_persons_rescored_between_refits() -> None:
    fitted, later = "2026-12-01", "2026-12-03 23:00"
    base = pd.concat(
        [
            rows("kept", ["hybrid", "hybrid"], ["a", "b"], fitted, fitted),
            rows("changed", ["hybrid", "hybrid"], ["a", "b"], fitted, fitted),
            rows("popular", ["hybrid", "global_popularity"], ["a", "b"], fitted, fitted),
            rows("segment", ["segment_popularity"] * 2, ["a", "b"], fitted, fitted),
            rows("item_changed", ["content", "content"], ["a", "z"], fitted, fitted),
            rows("rescored_before", ["hybrid", "hybrid"], ["a", "b"], later, fitted),
            rows("gone", ["hybrid", "hybrid"], ["a", "b"], fitted, fitted),
        ]
    )
    today = pd.Series(["kept", "changed", "popular", "segment", "item_changed", "rescored_before", "new"])
    rescore = persons_to_rescore(
        base, today, pd.Series(["changed", "gone", "stranger"]), pd.Series(["z"]), pd.Timestamp(fitted)
    )
    assert list(rescore) == sorted(["changed", "popular", "segment", "item_changed", "rescored_before", "new"])


def test_fold_in_maps_the_weights_onto_the_models_item_axis() -> None:
    weights = sp.random(40, 12, density=0.3, random_state=1, format="csr", dtype=np.float32) * 3
    users = np.array([f"u{i:02d}" for i in range(40)], dtype=object)
    items = np.array([f"i{i:02d}" for i in range(12)], dtype=object)
    model = fit_cf(InteractionMatrix(weights, users, items), CFParams(factors=4, iterations=5, regularization=1.0))
    # a catalog axis in another order, with two items the model never saw
    catalog = np.array(["new1", *items[::-1], "new2"], dtype=object)
    person = sp.csr_matrix(np.array([[5.0, 0, 2.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.0, 0]], dtype=np.float32))
    only_new = sp.csr_matrix(np.array([[1.0] + [0.0] * 12 + [1.0]], dtype=np.float32))
    folded = fold_in(model, sp.vstack([person, only_new]).tocsr(), catalog, np.array(["p", "q"], dtype=object))
    column = {item: position for position, item in enumerate(model.item_ids)}
    on_model = np.zeros((1, len(model.item_ids)), dtype=np.float32)
    on_model[0, column["i10"]], on_model[0, column["i00"]] = 2.0, 1.0  # catalog columns 2 and 12
    expected = recalculate_users(model, sp.csr_matrix(on_model))
    assert list(folded.user_ids) == ["p"]  # q knows only items the model does not: no factors
    np.testing.assert_allclose(folded.user_factors, expected, rtol=1e-6)


@pytest.fixture(scope="module")
def shop():
    data = planted_dataset(n_persons=300, n_items=80, n_categories=4, seed=3)
    settings = RecsSettings.from_mapping({"factors": 8, "iterations": 5, "top_n": 5, "refit_every_days": 7})
    interactions = data.interactions
    refit_at = data.end_at.tz_localize(None).normalize() - pd.Timedelta(days=3)
    return data, settings, interactions, refit_at


def _inputs(data, interactions: pd.DataFrame) -> RefitInputs:
    return RefitInputs(interactions, data.catalog, data.persons)


def test_a_build_from_stored_rows_equals_a_build_from_nothing(shop) -> None:
    data, settings, interactions, refit_at = shop
    at_refit = interactions.loc[pd.to_datetime(interactions["last_interaction_at"]).dt.tz_localize(None) < refit_at]
    later = interactions.loc[~interactions.index.isin(at_refit.index)]
    assert len(at_refit) and len(later)
    refit = _inputs(data, at_refit)
    plan = plan_refit(refit_at - pd.Timedelta(hours=1), 1, NO_RUNS, NO_ERASURES)
    fit = fit_id(plan, settings, "fingerprint")
    factors = factors_of_consenting(fitted_factors(refit, settings, plan, fit), data.persons)
    changed = pd.Series(sorted(set(later["person_id"])))

    def build(stored: pd.DataFrame | None, days_later: int) -> pd.DataFrame:
        today = plan_refit(refit_at + pd.Timedelta(days=days_later), 7, NO_RUNS, NO_ERASURES)
        day_plan = type(plan)(today.as_of_at, plan.refit_date, plan.refit_reason, plan.refit_every_days)
        return recommendations_between_refits(
            stored,
            lambda: refit,
            lambda: _inputs(data, interactions),
            factors,
            changed,
            pd.Series([], dtype=str),
            settings,
            day_plan,
            fit,
        )

    first = build(None, 1)
    assert list(first.columns) == list(SCORED_COLUMNS)
    kept = first.loc[first["scored_at"] == first["factors_fitted_at"], "person_id"].unique()
    rescored = first.loc[first["scored_at"] > first["factors_fitted_at"], "person_id"].unique()
    assert len(kept) and set(changed) <= set(rescored)

    def no_refit() -> RefitInputs:
        raise AssertionError("stored rows rest on the planned fit: the refit's input must not be read")

    # the next day, from the stored rows (the refit's inputs are never read) and from nothing
    incremental = recommendations_between_refits(
        first,
        no_refit,
        lambda: _inputs(data, interactions),
        factors,
        changed,
        pd.Series([], dtype=str),
        settings,
        type(plan)(plan.as_of_at + pd.Timedelta(days=2), plan.refit_date, plan.refit_reason, 1),
        fit,
    )
    from_nothing = recommendations_between_refits(
        None,
        lambda: refit,
        lambda: _inputs(data, interactions),
        factors,
        changed,
        pd.Series([], dtype=str),
        settings,
        type(plan)(plan.as_of_at + pd.Timedelta(days=2), plan.refit_date, plan.refit_reason, 1),
        fit,
    )
    pd.testing.assert_frame_equal(incremental, from_nothing)
    assert rests_on_fit(incremental, fit) and not rests_on_fit(incremental, fit + "-other")
    # kept persons keep the refit's rows, the changed ones carry the later scoring time
    kept_rows = incremental.loc[incremental["person_id"].isin(kept)].reset_index(drop=True)
    first_kept = first.loc[first["person_id"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept_rows, first_kept)


def test_factors_of_persons_without_consent_today_are_dropped() -> None:
    factors = pd.DataFrame(
        {"person_id": ["a", "b", None], "item_id": [None, None, "x"], "factors": [[1.0], [2.0], [3.0]]}
    )
    persons = pd.DataFrame({"person_id": ["a", "b"], "has_personalization_consent": [True, False]})
    kept = factors_of_consenting(factors, persons)
    assert kept["person_id"].tolist()[0] == "a" and kept["item_id"].tolist()[1] == "x" and len(kept) == 2
