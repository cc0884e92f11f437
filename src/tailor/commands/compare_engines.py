"""`tailor compare-engines`: the marts of two builds, compared column by column, order-independently."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare-engines",
        help="compare row counts and order-independent column checksums of every mart of two builds",
    )
    parser.add_argument("--manifest", default="target/manifest.json", help="manifest naming the marts")
    parser.add_argument("--left", required=True, help=f"one of {SIDES}")
    parser.add_argument("--right", required=True, help=f"one of {SIDES}")
    parser.add_argument(
        "--all-tables",
        action="store_true",
        help="compare every table either side stores (sparkdir: or duckdb: sides), not only the manifest's marts",
    )
    parser.add_argument("--exclude", action="append", default=[], help="a table left out of the comparison")
    parser.add_argument("--show-checksums", action="store_true", help="print every column's checksum")
    parser.set_defaults(func=run)


SIDES = "duckdb:PATH, spark:SCHEMA (the local Spark catalog) or sparkdir:WAREHOUSE (a Spark warehouse folder)"


def reader_for(spec: str):
    """The reader of one side: duckdb:PATH (a warehouse file), spark:SCHEMA (the local Spark catalog) or
    sparkdir:WAREHOUSE (the Parquet folders of a Spark warehouse, schema main, read without Spark)."""
    from tailor.engines.readers import duckdb_reader, spark_folder_reader, spark_reader

    kind, _, where = spec.partition(":")
    if kind == "duckdb":
        return duckdb_reader(where)
    if kind == "spark":
        return spark_reader(where or "main")
    if kind == "sparkdir":
        return spark_folder_reader(where)
    raise SystemExit(f"--left/--right must be {SIDES}, got {spec!r}")


def tables_of(spec: str) -> list[str]:
    """Every table one side stores (for --all-tables): a DuckDB file's base tables of main, or the table
    folders of a Spark warehouse folder."""
    from tailor.engines.readers import spark_folder_tables
    from tailor.warehouse import connect

    kind, _, where = spec.partition(":")
    if kind == "sparkdir":
        return spark_folder_tables(where)
    if kind == "duckdb":
        with connect(where) as con:
            query = "select table_name from information_schema.tables"
            query += " where table_schema = 'main' and table_type = 'BASE TABLE'"
            return sorted(row[0] for row in con.execute(query).fetchall())
    raise SystemExit(f"--all-tables lists the tables of duckdb:PATH or sparkdir:WAREHOUSE sides, got {spec!r}")


def run(args: argparse.Namespace) -> int:
    from tailor.engines.compare import (
        FLOAT_ABS_TOLERANCE,
        FLOAT_REL_TOLERANCE,
        SINGLE_PRECISION_REL_TOLERANCE,
        compare_marts,
    )
    from tailor.engines.readers import column_tolerances, mart_names

    if args.all_tables:
        marts = sorted(set(tables_of(args.left)) | set(tables_of(args.right)))
    else:
        marts = mart_names(args.manifest)
    marts = [mart for mart in marts if mart not in set(args.exclude)]
    tolerances = column_tolerances(args.manifest)
    result = compare_marts(marts, reader_for(args.left), reader_for(args.right), tolerances)
    what = "tables" if args.all_tables else "marts"
    print(f"{len(result.marts)} {what} compared: {args.left} vs {args.right}")
    if args.exclude:
        print(f"left out: {', '.join(sorted(args.exclude))}")
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
