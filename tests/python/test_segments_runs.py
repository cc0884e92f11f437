"""Segment runs as stored rows: a run continues the stored history, rebuilds are idempotent, erasure scrubs."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tailor.segments.runs import RUN_SCHEMA, previous_run, rows_to_write, scrub_erased
from tailor.segments.synthetic import PERSONA_CONFIG, make_persona_profiles

FIRST = pd.Timestamp("2024-06-01 00:00:00")
SECOND = pd.Timestamp("2024-06-02 00:00:00")
CONFIG = replace(PERSONA_CONFIG, k=6)


@pytest.fixture(scope="module")
def data():
    return make_persona_profiles(2000, seed=5)


@pytest.fixture(scope="module")
def first_run(data) -> pa.Table:
    return rows_to_write(data.profiles, data.interactions, FIRST, config=CONFIG)


@pytest.fixture(scope="module")
def second_run(data, first_run) -> pa.Table:
    return rows_to_write(data.profiles, data.interactions, SECOND, config=CONFIG, history=first_run)


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.drop_columns(["members"]).to_pandas()


def test_first_run_rows(first_run: pa.Table, data) -> None:
    assert first_run.schema == RUN_SCHEMA
    rows = _frame(first_run)
    assert rows["segment_run_id"].is_unique
    assert (rows["drift_status"] == "first_run").all()
    assert rows["previous_retrained_at"].isna().all()
    assert set(rows["segment_id"]) >= {"fallback_new", "fallback_low_confidence"}
    members = first_run.column("members").to_pylist()
    assert [len(m) for m in members] == rows["member_count"].tolist()
    everyone = [member["person_id"] for segment in members for member in segment]
    assert sorted(everyone) == sorted(data.profiles["person_id"])
    clusters = rows[~rows["is_fallback"]]
    assert clusters["clustered_share"].sum() == pytest.approx(1.0)
    assert rows.loc[rows["is_fallback"], "clustered_share"].isna().all()


def test_second_run_keeps_ids_and_names_and_measures_drift(first_run: pa.Table, second_run: pa.Table) -> None:
    before, after = _frame(first_run), _frame(second_run)
    assert (after["retrained_at"] == SECOND).all()
    assert (after["previous_retrained_at"] == FIRST).all()
    assert set(after["drift_status"]) == {"kept"}
    names = before.set_index("segment_id")["segment_name"]
    assert after.set_index("segment_id")["segment_name"].equals(names.loc[after["segment_id"]])
    assert (after["created_at"] == FIRST).all()
    assert (after["member_count_change"] == 0).all()
    assert after["psi_total"].iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_previous_run_ignores_the_run_being_rebuilt_and_later_ones(first_run: pa.Table, second_run: pa.Table) -> None:
    history = pd.concat([_frame(first_run), _frame(second_run)], ignore_index=True)
    rebuilding_second = previous_run(history, SECOND)
    assert rebuilding_second.retrained_at == FIRST
    assert len(rebuilding_second.segments) == first_run.num_rows
    assert previous_run(history, FIRST).segments is None
    assert previous_run(None, FIRST).known_segment_ids == ()


def test_rebuilding_a_run_gives_the_same_rows(data, first_run: pa.Table, second_run: pa.Table) -> None:
    history = pa.concat_tables([first_run, second_run])
    again = rows_to_write(data.profiles, data.interactions, SECOND, config=CONFIG, history=history)
    assert again.equals(second_run)


def test_retired_ids_are_never_reused(data, first_run: pa.Table) -> None:
    fewer = rows_to_write(
        data.profiles, data.interactions, SECOND, config=replace(PERSONA_CONFIG, k=3), history=first_run
    ).to_pandas()
    retired = fewer[fewer["drift_status"] == "retired"]
    assert len(retired) >= 1
    assert (retired["member_count"] == 0).all() and retired["members"].map(len).eq(0).all()
    third = rows_to_write(
        data.profiles,
        data.interactions,
        pd.Timestamp("2024-06-03"),
        config=CONFIG,
        history=pa.concat_tables([first_run, pa.Table.from_pandas(fewer, schema=RUN_SCHEMA)]),
    ).to_pandas()
    new_ids = set(third.loc[third["drift_status"] == "new", "segment_id"])
    assert not new_ids & set(_frame(first_run)["segment_id"])


def test_erasure_rewrites_every_run_that_lists_the_person(data, first_run: pa.Table, second_run: pa.Table) -> None:
    history = pa.concat_tables([first_run, second_run])
    erased = [data.profiles["person_id"].iloc[0]]
    scrubbed = scrub_erased(history, erased)
    assert scrubbed.num_rows == history.num_rows  # both runs list the person: both come back whole
    remaining = pc.struct_field(pc.list_flatten(scrubbed.column("members")), "person_id").to_pylist()
    assert erased[0] not in remaining
    assert len(remaining) == 2 * len(data.profiles) - 2
    assert scrub_erased(history, ["nobody"]).num_rows == 0
    # the next build writes its own run plus the other scrubbed run, never the stale copy of its own
    written = rows_to_write(
        data.profiles, data.interactions, SECOND, config=CONFIG, history=history, erased_person_ids=erased
    )
    stamps = pc.unique(written.column("retrained_at")).to_pylist()
    assert sorted(stamps) == [FIRST.to_pydatetime(), SECOND.to_pydatetime()]
    assert len(written.filter(pc.equal(written.column("retrained_at"), pa.scalar(SECOND, pa.timestamp("us"))))) == (
        second_run.num_rows
    )
