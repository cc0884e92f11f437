"""`tailor report`: one self-contained HTML file of charts (opens offline) from the built marts."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="write an offline HTML report with charts of the marts")
    parser.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH, else the last main job's)")
    parser.add_argument("--out", help="HTML file (default: TAILOR_REPORT_PATH, else published/report.html)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.report.page import write_report
    from tailor.state import resolve
    from tailor.warehouse import default_db_path

    warehouse = Path(args.db) if args.db else default_db_path()
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: run scripts/run.sh (or dbt build) first")
        return 1
    out = write_report(warehouse, Path(resolve("report", args.out, "published/report.html")))
    print(f"report: {out} ({out.stat().st_size / 1e6:.1f} MB, self-contained)")
    return 0
