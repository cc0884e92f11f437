"""`tailor compare-engines`: the marts of two builds, compared column by column, order-independently."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare-engines",
        help="compare row counts and order-independent column checksums of every mart of two builds",
    )
    parser.add_argument("--manifest", default="target/manifest.json", help="manifest naming the marts")
    parser.add_argument("--left", required=True, help="duckdb:PATH or spark:SCHEMA")
    parser.add_argument("--right", required=True, help="duckdb:PATH or spark:SCHEMA")
    parser.add_argument("--show-checksums", action="store_true", help="print every column's checksum")
    parser.set_defaults(func=run)


def reader_for(spec: str):
    """The reader of one side: duckdb:PATH (a warehouse file) or spark:SCHEMA (the local Spark catalog)."""
    from tailor.engines.readers import duckdb_reader, spark_reader

    kind, _, where = spec.partition(":")
    if kind == "duckdb":
        return duckdb_reader(where)
    if kind == "spark":
        return spark_reader(where or "main")
    raise SystemExit(f"--left/--right must be duckdb:PATH or spark:SCHEMA, got {spec!r}")


def run(args: argparse.Namespace) -> int:
    from tailor.engines.compare import (
        FLOAT_ABS_TOLERANCE,
        FLOAT_REL_TOLERANCE,
        SINGLE_PRECISION_REL_TOLERANCE,
        compare_marts,
    )
    from tailor.engines.readers import column_tolerances, mart_names

    marts = mart_names(args.manifest)
    tolerances = column_tolerances(args.manifest)
    result = compare_marts(marts, reader_for(args.left), reader_for(args.right), tolerances)
    print(f"{len(result.marts)} marts compared: {args.left} vs {args.right}")
    print(f"floats equal within rel {FLOAT_REL_TOLERANCE:g} / abs {FLOAT_ABS_TOLERANCE:g}")
    single = sorted(f"{mart}.{column}" for mart, columns in tolerances.items() for column in columns)
    if single:
        print(f"single-precision model columns within rel {SINGLE_PRECISION_REL_TOLERANCE:g}: {', '.join(single)}")
    if args.show_checksums:
        for mart, sums in result.checksums.items():
            for column, value in sums.items():
                print(f"  {mart}.{column} {value}")
    for difference in result.differences:
        where = f"{difference.mart}.{difference.column}" if difference.column else difference.mart
        print(f"DIFF {where}: {difference.detail}")
    print("equal" if result.equal else f"{len(result.differences)} differences")
    return 0 if result.equal else 1
