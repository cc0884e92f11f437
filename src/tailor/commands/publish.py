"""`tailor publish`: after a clean dbt build, publish the marts atomically for BI readers."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("publish", help="publish the marts to a read-only DuckDB file and Parquet")
    parser.add_argument("--db", help="build warehouse (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("--target-dir", help="dbt target dir of the build (default: TAILOR_TARGET_DIR, else target)")
    parser.add_argument("--out", help="publication folder (default: TAILOR_PUBLISH_DIR, else published/)")
    parser.add_argument(
        "--keep-versions", type=int, default=1,
        help="versions to keep under versions/ (<ver>/ Parquet and <ver>.duckdb) for readers that pin one; "
        "default 1: an erased person leaves every published file on the next publish",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.publish import PublishRefused, check_build, mart_relations, publish
    from tailor.state import resolve
    from tailor.warehouse import default_db_path

    target = Path(resolve("target_dir", args.target_dir, "target"))
    out = Path(resolve("published", args.out, "published"))
    warehouse = Path(args.db) if args.db else default_db_path()
    if args.keep_versions < 1:
        print("--keep-versions must be at least 1")
        return 2
    try:
        check_build(target, warehouse)
    except PublishRefused as refused:
        print(f"publish refused: {refused}")
        return 1
    tables = mart_relations(target / "manifest.json")
    result = publish(warehouse, out, tables, keep_versions=args.keep_versions)
    print(f"published {len(result.tables)} marts as version {result.version}")
    print(f"  duckdb : {result.database}")
    print(f"  parquet: {out / 'parquet'} -> {result.parquet_dir}")
    if args.keep_versions > 1:
        print(f"  pinned : {out / 'versions' / (result.version + '.duckdb')} (kept {args.keep_versions})")
    return 0
