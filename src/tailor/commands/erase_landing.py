"""`tailor erase-landing`: remove erased persons' rows from the landing files (dry run unless --apply)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "erase-landing",
        help="rewrite the landing files without the rows of erased persons (dry run unless --apply)",
    )
    parser.add_argument("--landing", help="landing folder (default: TAILOR_LANDING)")
    parser.add_argument("--db", help="built warehouse holding int_erasure_tombstones (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("--apply", action="store_true", help="rewrite the files (default: only count)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.landing_erasure import run_erasure
    from tailor.privacy.salt import landing_path
    from tailor.warehouse import default_db_path

    landing = Path(args.landing) if args.landing else landing_path()
    results = run_erasure(landing, Path(args.db) if args.db else default_db_path(), apply=args.apply)
    touched = [r for r in results if r.erased_rows]
    for r in touched:
        print(f"{r.table:<26} {r.erased_rows:>8,} of {r.rows:>10,} rows  {r.path}")
    total = sum(r.erased_rows for r in results)
    verb = "removed" if args.apply else "would remove (dry run; --apply rewrites the files)"
    print(f"{verb}: {total:,} rows in {len(touched)} of {len(results)} files; recorded in audit_run_log")
    return 0
