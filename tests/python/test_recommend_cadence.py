"""When a build evaluates the recommender again and when it keeps the stored run (RecsSettings.evaluation_due)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from tailor.recommend.settings import RecsSettings

AS_OF = pd.Timestamp("2026-03-10 12:00:00")


def weekly() -> RecsSettings:
    return RecsSettings.from_mapping({"eval_every_days": 7})


def test_eval_every_days_is_read_from_the_models_meta() -> None:
    assert weekly().eval_every_days == 7.0
    assert RecsSettings.from_mapping({"eval_every_days": 0}).eval_every_days == 0.0


def test_first_build_evaluates() -> None:
    assert weekly().evaluation_due(None, AS_OF)


@pytest.mark.parametrize(
    ("stored_days_before", "due"),
    [(0, False), (1, False), (6.9, False), (7, True), (30, True), (-1, True)],
)
def test_stored_run_is_kept_until_it_is_eval_every_days_old(stored_days_before: float, due: bool) -> None:
    settings = weekly()
    stored = settings.evaluation_run_id(AS_OF - pd.Timedelta(days=stored_days_before))
    assert settings.evaluation_due(stored, AS_OF) is due


def test_changed_settings_evaluate_again() -> None:
    settings = weekly()
    stored = settings.evaluation_run_id(AS_OF - pd.Timedelta(days=1))
    assert settings.evaluation_due(stored, AS_OF) is False
    assert replace(settings, eval_holdout_days=14.0).evaluation_due(stored, AS_OF)
    assert replace(settings, eval_max_persons=None).evaluation_due(stored, AS_OF)
    other_model = replace(settings, cf=replace(settings.cf, factors=settings.cf.factors + 1))
    assert other_model.evaluation_due(stored, AS_OF)


def test_zero_evaluates_on_every_build() -> None:
    settings = RecsSettings.from_mapping({"eval_every_days": 0})
    assert settings.evaluation_due(settings.evaluation_run_id(AS_OF), AS_OF)


def test_run_id_starts_with_the_as_of_date() -> None:
    assert weekly().evaluation_run_id(AS_OF).startswith("2026-03-10 12:00:00.000000|")


def test_score_threads_are_read_but_do_not_change_the_model_version() -> None:
    threaded = RecsSettings.from_mapping({"eval_every_days": 7, "score_threads": 3})
    assert threaded.score_threads == 3
    with pytest.raises(ValueError, match="score_threads"):
        RecsSettings.from_mapping({"score_threads": 0})
    assert threaded.model_version() == weekly().model_version()
    as_of = pd.Timestamp("2024-03-01")
    assert threaded.evaluation_run_id(as_of) == weekly().evaluation_run_id(as_of)
