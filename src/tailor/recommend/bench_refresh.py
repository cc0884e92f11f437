"""Time and peak memory of int_recommendations_scored's function outside dbt, on a built warehouse.

Reads the model's inputs from `--warehouse` (read only) as the dbt model does, and the stored rows from
`--stored` (a warehouse built the day before, for a fold-in day; none for a refit or full build), then runs
`recommendations_between_refits` with this process's RSS sampled. `--expect` compares the result with the
table a build wrote (same rows, same scores).

Run: python -m tailor.recommend.bench_refresh --warehouse W [--stored W_BEFORE] [--expect W]
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb
import pandas as pd

from tailor.frames import read_frame
from tailor.recommend.bench import _PeakRss
from tailor.recommend.refresh import rows_on_fit_sql
from tailor.recommend.refresh_model import rows_between_refits, scored_inputs
from tailor.recommend.settings import RecsSettings

MIB = 1024.0 * 1024.0
SCORED_TABLE = "int_recommendations_scored"


def run(warehouse: str, stored_warehouse: str | None, settings: RecsSettings) -> tuple[pd.DataFrame, dict]:
    """The model's rows from `warehouse`'s inputs (and `stored_warehouse`'s rows), with time and RSS peak."""
    connection = duckdb.connect(warehouse, read_only=True)
    stored_rows = None
    if stored_warehouse:
        connection.execute(f"attach '{stored_warehouse}' as stored (read_only)")

        def stored_rows(fit: str) -> pd.DataFrame:
            return read_frame(connection.sql(rows_on_fit_sql(f"stored.{SCORED_TABLE}", fit)))

    with _PeakRss(0.01) as rss:
        started, cpu_started = time.perf_counter(), time.process_time()
        rows = rows_between_refits(scored_inputs(connection.table), stored_rows, settings)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    connection.close()
    return rows, {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "start_rss_mib": round(rss.start_rss / MIB, 1),
        "peak_rss_mib": round(rss.peak / MIB, 1),
        "rows": len(rows),
    }


def differences(rows: pd.DataFrame, expected_warehouse: str) -> str:
    """'' when `rows` equal the stored table of `expected_warehouse` (row order aside), else a summary."""
    with duckdb.connect(expected_warehouse, read_only=True) as connection:
        expected = read_frame(connection.table(SCORED_TABLE))
    keys = ["person_id", "rank"]
    left = rows.sort_values(keys).reset_index(drop=True)
    right = expected[list(rows.columns)].sort_values(keys).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=True)
    except AssertionError as error:
        return str(error)[:2000]
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--stored")
    parser.add_argument("--expect")
    parser.add_argument("--settings", default="{}", help="recommendations settings as JSON (defaults: RecsSettings)")
    args = parser.parse_args()
    settings = RecsSettings.from_mapping(json.loads(args.settings))
    rows, measured = run(args.warehouse, args.stored, settings)
    if args.expect:
        measured["differences"] = differences(rows, args.expect) or "none"
    print(json.dumps(measured, indent=2))


if __name__ == "__main__":
    main()
