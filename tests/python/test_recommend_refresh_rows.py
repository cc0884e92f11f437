"""How int_recommendations_scored keeps its memory bounded without changing a row: stored rows read without
the fit's columns and only when they rest on the fit, kept and rescored rows merged a column at a time,
the fit's columns stamped once, and today's inputs read after the refit's rows (tailor.recommend.refresh,
tailor.recommend.refresh_model)."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_refit
from tailor.recommend.refresh import (
    ROW_COLUMNS,
    SCORED_COLUMNS,
    RefitInputs,
    combined_rows,
    factors_of_consenting,
    fit_id,
    fitted_factors,
    recommendations_between_refits,
    rows_on_fit,
    rows_on_fit_sql,
    stamped,
)
from tailor.recommend.refresh_model import INPUT_MODELS, ScoredInputs
from tailor.recommend.settings import RecsSettings
from tailor.recommend.synthetic import planted_dataset

MODEL = Path(__file__).parents[2] / "python_models/intermediate/recommendations/int_recommendations_scored.py"
NO_RUNS = pd.DataFrame({"as_of_at": pd.Series([], dtype="datetime64[us]"), "is_retraining_needed": []})
NO_ERASURES = pd.Series([], dtype="datetime64[us]")


def scored(persons: list[str], n: int, seed: int, scored_at: str) -> pd.DataFrame:
    """ROW_COLUMNS rows, `n` ranks per person, in a shuffled order."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "person_id": pd.array(np.repeat(persons, n), dtype="str"),
            "rank": np.tile(np.arange(1, n + 1, dtype=np.int32), len(persons)),
            "item_id": pd.array([f"i{value}" for value in rng.integers(0, 50, len(persons) * n)], dtype="str"),
            "score": rng.random(len(persons) * n),
            "confidence": rng.random(len(persons) * n),
            "rec_source": pd.array(["hybrid"] * (len(persons) * n), dtype="str"),
            "scored_at": pd.Timestamp(scored_at),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)[list(ROW_COLUMNS)]


def concatenated_and_sorted(base: pd.DataFrame, kept: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """What combined_rows replaced: select, concatenate and sort whole frames."""
    frames = [frame for frame in (base.iloc[kept], fresh) if len(frame)]
    rows = pd.concat(frames, ignore_index=True) if frames else fresh
    return rows.sort_values(["person_id", "rank"], kind="stable").reset_index(drop=True)[list(ROW_COLUMNS)]


@pytest.mark.parametrize("kept_share, fresh_persons", [(0.6, 4), (1.0, 0), (0.0, 3), (0.0, 0)])
def test_rows_merged_a_column_at_a_time_equal_concatenating_and_sorting(kept_share, fresh_persons) -> None:
    base = scored([f"p{person:02d}" for person in range(20)], 5, seed=1, scored_at="2026-12-01")
    kept = np.flatnonzero(np.random.default_rng(2).random(len(base)) < kept_share)
    fresh = scored([f"p{person:02d}" for person in range(30, 30 + fresh_persons)], 5, seed=3, scored_at="2026-12-03")
    merged = combined_rows(base, kept, fresh)
    assert list(merged.columns) == list(ROW_COLUMNS) and len(merged) == len(kept) + len(fresh)
    if len(merged):
        pd.testing.assert_frame_equal(merged, concatenated_and_sorted(base, kept, fresh))


def test_the_fit_columns_are_stamped_once_and_stored_as_strings() -> None:
    rows = scored(["a", "b"], 3, seed=4, scored_at="2026-12-03")
    settings = RecsSettings()
    plan = plan_refit(pd.Timestamp("2026-12-03 23:00"), 7, NO_RUNS, NO_ERASURES)
    fit = fit_id(plan, settings, "fingerprint")
    table = stamped(rows, settings, plan, fit)
    assert list(table.columns) == list(SCORED_COLUMNS)
    # one shared object per column, not a copy of the string per row
    assert table["fit_id"].iloc[0] is table["fit_id"].iloc[-1]
    assert set(table["fit_id"]) == {fit} and set(table["model_version"]) == {settings.model_version()}
    assert (table["factors_fitted_at"] == plan.refit_at).all()
    with duckdb.connect() as connection:
        connection.register("stamped_rows", table)
        connection.execute("create table recs as select * from stamped_rows")
        columns = "select column_name, data_type from duckdb_columns() where table_name = 'recs'"
        types = dict(connection.sql(columns).fetchall())
        assert types["fit_id"] == types["model_version"] == "VARCHAR"
        assert connection.sql("select distinct fit_id from recs").fetchall() == [(fit,)]


def test_stored_rows_are_read_only_when_every_row_rests_on_the_fit() -> None:
    rows = scored(["a", "b"], 3, seed=5, scored_at="2026-12-03")
    with duckdb.connect() as connection:
        connection.register("rows_frame", rows)
        connection.execute("create table recs as select *, 'fit-1' as fit_id from rows_frame")
        read = read_frame(connection.sql(rows_on_fit_sql("recs", "fit-1")))
        assert list(read.columns) == list(ROW_COLUMNS) and len(read) == len(rows)
        assert read_frame(connection.sql(rows_on_fit_sql("recs", "fit-2"))).empty
        assert read_frame(connection.sql(rows_on_fit_sql("recs", "it's quoted"))).empty
        connection.execute("update recs set fit_id = 'fit-2' where person_id = 'a'")
        assert read_frame(connection.sql(rows_on_fit_sql("recs", "fit-1"))).empty
    # frames: rows without fit_id were read with the query; rows with one are checked here
    assert rows_on_fit(rows, "fit-1") is not None
    assert rows_on_fit(rows.assign(fit_id="fit-2"), "fit-1") is None
    assert rows_on_fit(rows.iloc[:0], "fit-1") is None and rows_on_fit(None, "fit-1") is None


def test_the_model_reads_the_inputs_the_benchmark_reads() -> None:
    calls = [
        node
        for node in ast.walk(ast.parse(MODEL.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ScoredInputs"
    ]
    assert len(calls) == 1
    named = {keyword.arg: keyword.value.args[0].value for keyword in calls[0].keywords}
    assert named == INPUT_MODELS
    assert set(INPUT_MODELS) == {field.name for field in fields(ScoredInputs)}


@pytest.fixture(scope="module")
def shop():
    data = planted_dataset(n_persons=200, n_items=60, n_categories=4, seed=5)
    settings = RecsSettings.from_mapping({"factors": 8, "iterations": 5, "top_n": 5, "refit_every_days": 7})
    refit_at = data.end_at.tz_localize(None).normalize() - pd.Timedelta(days=3)
    return data, settings, refit_at


def test_stored_rows_read_without_the_fit_columns_give_the_same_build(shop) -> None:
    data, settings, refit_at = shop
    interactions = data.interactions
    at_refit = interactions.loc[pd.to_datetime(interactions["last_interaction_at"]).dt.tz_localize(None) < refit_at]
    later = interactions.loc[~interactions.index.isin(at_refit.index)]
    refit = RefitInputs(at_refit, data.catalog, data.persons)
    today = RefitInputs(interactions, data.catalog, data.persons)
    plan = plan_refit(refit_at - pd.Timedelta(hours=1), 1, NO_RUNS, NO_ERASURES)
    fit = fit_id(plan, settings, "fingerprint")
    factors = factors_of_consenting(fitted_factors(refit, settings, plan, fit), data.persons)
    changed = pd.Series(sorted(set(later["person_id"])))
    day = type(plan)(plan.as_of_at + pd.Timedelta(days=2), plan.refit_date, plan.refit_reason, 1)
    read: list[str] = []

    def reading(label: str, inputs: RefitInputs):
        def read_inputs() -> RefitInputs:
            read.append(label)
            return inputs

        return read_inputs

    def build(stored: pd.DataFrame | None) -> pd.DataFrame:
        no_items = pd.Series([], dtype=str)
        return recommendations_between_refits(
            stored, reading("refit", refit), reading("today", today), factors, changed, no_items, settings, day, fit
        )

    first = build(None)
    assert read == ["refit", "today"]  # today's inputs only once the refit's rows are scored
    with duckdb.connect() as connection:
        connection.register("first_rows", first)
        connection.execute("create table recs as select * from first_rows")
        slim = read_frame(connection.sql(rows_on_fit_sql("recs", fit)))
    read.clear()
    pd.testing.assert_frame_equal(build(slim), build(first))
    assert read == ["today", "today"]  # the stored rows rest on the fit: no refit input read
    pd.testing.assert_frame_equal(build(slim), first)
