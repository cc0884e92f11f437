"""tailor.engines.compare: order-independent mart comparison, with a float tolerance, that names every difference."""

from __future__ import annotations

import duckdb
import pandas as pd

from tailor.engines.compare import FLOAT_REL_TOLERANCE, compare_frames, compare_marts
from tailor.engines.readers import duckdb_reader


def mart() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "score": [0.5, 1.25, 3.0],
            "rank": [1, 2, 3],
            "seen_at": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 11:00", None], utc=True),
            "tags": [["x", "y"], [], None],
        }
    )


def test_row_order_and_float_noise_within_tolerance_are_equal():
    shuffled = mart().iloc[[2, 0, 1]].reset_index(drop=True)
    shuffled["score"] = shuffled["score"] * (1 + FLOAT_REL_TOLERANCE / 10)
    differences, sums = compare_frames("m", mart(), shuffled)
    assert differences == []
    assert set(sums) == {"person_id", "score", "rank", "seen_at", "tags"}


def test_every_kind_of_difference_is_named():
    other = mart()
    other.loc[1, "score"] = 1.26  # beyond the tolerance
    other.loc[0, "person_id"] = "z"
    other["extra"] = 1
    differences, _ = compare_frames("m", mart(), other)
    named = {(d.column, d.detail.split(" ")[0]) for d in differences}
    assert ("score", "1") in named  # "1 sorted values differ beyond tolerance ..."
    assert ("person_id", "checksum") in named
    assert ("extra", "column") in named


def test_values_paired_differently_in_rows_are_found():
    other = mart()
    other["rank"] = [2, 1, 3]  # same values, other persons
    differences, _ = compare_frames("m", mart(), other)
    assert [d.detail for d in differences] == ["same column values but paired differently in rows"]


def test_row_counts_and_missing_marts_from_duckdb_files(tmp_path):
    for name, rows in (("left", 3), ("right", 2)):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        con.execute(f"create table fct_a as select range as id, range * 0.5 as value from range({rows})")
        if name == "left":
            con.execute("create table fct_b as select 1 as id")
        con.close()
    result = compare_marts(
        ["fct_a", "fct_b"], duckdb_reader(tmp_path / "left.duckdb"), duckdb_reader(tmp_path / "right.duckdb")
    )
    details = {(d.mart, d.detail) for d in result.differences}
    assert ("fct_a", "row count 3 vs 2") in details
    assert ("fct_b", "missing on the right") in details
    assert not result.equal
