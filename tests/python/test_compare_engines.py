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


def factors_mart() -> pd.DataFrame:
    return pd.DataFrame({"item_id": ["p1", "p2", "p3"], "factors": [[0.5, -1.0], [2.0, 0.25], None]})


def test_float_lists_are_paired_by_row_and_compared_within_the_column_tolerance():
    from tailor.engines.compare import SINGLE_PRECISION_REL_TOLERANCE

    other = factors_mart().iloc[[2, 1, 0]].reset_index(drop=True)
    noise = 1 + SINGLE_PRECISION_REL_TOLERANCE / 2
    other["factors"] = [None if f is None else [v * noise for v in f] for f in other["factors"]]
    tolerances = {"factors": SINGLE_PRECISION_REL_TOLERANCE}
    assert compare_frames("m", factors_mart(), other, tolerances)[0] == []
    # the same noise is a difference at the default tolerance, and a swapped pair of lists is one at any
    assert [d.column for d in compare_frames("m", factors_mart(), other)[0]] == ["factors"]
    swapped = factors_mart()
    swapped["factors"] = [[2.0, 0.25], [0.5, -1.0], None]
    assert [d.column for d in compare_frames("m", factors_mart(), swapped, tolerances)[0]] == ["factors"]


def test_a_float_list_of_another_length_is_a_difference():
    other = factors_mart()
    other.at[0, "factors"] = [0.5]
    (difference,) = compare_frames("m", factors_mart(), other)[0]
    assert difference.column == "factors" and "shape" in difference.detail


def test_single_precision_columns_come_from_the_marts_yml(tmp_path):
    import json

    from tailor.engines.compare import SINGLE_PRECISION_REL_TOLERANCE
    from tailor.engines.readers import column_tolerances

    manifest = {
        "nodes": {
            "model.tailor.fct_x": {
                "resource_type": "model",
                "original_file_path": "models/marts/x/fct_x.sql",
                "alias": "fct_x",
                "name": "fct_x",
                "columns": {
                    "score": {"meta": {}, "config": {"meta": {"float_precision": "single"}}},
                    "rank": {"meta": {}, "config": {"meta": {}}},
                },
            }
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert column_tolerances(path) == {"fct_x": {"score": SINGLE_PRECISION_REL_TOLERANCE}}


def test_a_missing_list_is_the_same_whichever_null_the_driver_gives():
    other = factors_mart()
    other["factors"] = pd.Series([[0.5, -1.0], [2.0, 0.25], pd.NA], dtype=object)
    assert compare_frames("m", factors_mart(), other)[0] == []


def _spark_folder(root, tables: dict[str, pd.DataFrame]) -> None:
    """A Spark warehouse folder as Spark writes it: tables/main.db/<table>/dt=<day>/part-*.parquet, _SUCCESS."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    for name, frame in tables.items():
        folder = root / "tables" / "main.db" / name
        partitioning = ["dt"] if "dt" in frame.columns else None
        ds.write_dataset(
            pa.Table.from_pandas(frame, preserve_index=False), folder, format="parquet",
            partitioning=partitioning, partitioning_flavor="hive" if partitioning else None,
            basename_template="part-{i}.parquet",
        )  # fmt: skip
        (folder / "_SUCCESS").write_text("")


def test_every_table_of_two_spark_warehouse_folders_is_compared(tmp_path, capsys):
    """compare-engines --all-tables over two Spark warehouse folders, read without Spark: partitioned tables
    (the `dt=` folders become a column), tables on one side only, left-out tables, a changed value."""
    from tailor.cli import main
    from tailor.engines.readers import spark_folder_reader, spark_folder_tables

    events = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "weight": [0.5, 1.0, 2.0], "dt": ["d1", "d1", "d2"]})
    runs = pd.DataFrame({"run": [1]})
    _spark_folder(tmp_path / "incremental", {"events": events, "audit_run_log": runs, "only_left": runs})
    changed = events.assign(event_id=["e1", "e2", "e9"])
    _spark_folder(tmp_path / "full", {"events": changed, "audit_run_log": pd.DataFrame({"run": [1, 2]})})

    assert spark_folder_tables(tmp_path / "incremental") == ["audit_run_log", "events", "only_left"]
    read = spark_folder_reader(tmp_path / "incremental")
    assert sorted(read("events")["dt"]) == ["d1", "d1", "d2"] and read("missing") is None
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {}}')
    argv = ["compare-engines", "--all-tables", "--manifest", str(manifest), "--exclude", "audit_run_log"]
    left, right = f"sparkdir:{tmp_path / 'incremental'}", f"sparkdir:{tmp_path / 'full'}"
    assert main([*argv, "--left", left, "--right", right]) == 1
    out = capsys.readouterr().out
    assert "2 tables compared" in out and "left out: audit_run_log" in out
    assert "DIFF events.event_id: checksum" in out and "DIFF only_left: missing on the right" in out
    assert main([*argv, "--left", left, "--right", left]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "equal"
