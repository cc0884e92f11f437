"""`tailor summary`: what the last build left in the warehouse, layer by layer, with row counts."""

from __future__ import annotations

import argparse

LAYERS: tuple[tuple[str, str], ...] = (
    ("stg_", "staging"),
    ("base_", "staging"),
    ("int_", "intermediate"),
    ("fct_", "marts"),
    ("dim_", "marts"),
    ("snap_", "snapshots"),
)


def layer_of(name: str) -> str:
    """The layer a relation belongs to, read from its prefix."""
    for prefix, layer in LAYERS:
        if name.startswith(prefix):
            return layer
    return "other"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("summary", help="print what the last build left in the warehouse")
    parser.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH)")
    parser.set_defaults(func=run)


# Schemas of the rows dbt stores for failing tests (`store_failures`): inspection aids, not build outputs.
TEST_FAILURE_SCHEMA_SUFFIX = "dbt_test__audit"


def run(args: argparse.Namespace) -> int:
    from tailor.report.headline import headline_numbers
    from tailor.warehouse import connect

    con = connect(args.db)
    relations = con.execute(
        f"""
        select table_schema, table_name, table_type
        from information_schema.tables
        where table_schema not in ('information_schema', 'pg_catalog')
            and table_schema not like '%{TEST_FAILURE_SCHEMA_SUFFIX}'
        order by table_name
        """
    ).fetchall()
    by_layer: dict[str, list[tuple[str, str, int]]] = {}
    for schema, name, kind in relations:
        rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        by_layer.setdefault(layer_of(name), []).append((name, "view" if kind == "VIEW" else "table", rows))
    order = ["staging", "intermediate", "marts", "snapshots", "other"]
    for layer in order:
        entries = by_layer.get(layer)
        if not entries:
            continue
        print(f"\n{layer} ({len(entries)} relations)")
        for name, kind, rows in entries:
            print(f"  {name:<48} {kind:<6} {rows:>12,} rows")
    quarantined = sum(rows for name, _, rows in by_layer.get("staging", []) if name.endswith("_quarantine"))
    print(f"\nquarantined raw rows: {quarantined:,}")
    print("\nheadline")
    for label, value in headline_numbers(con):
        print(f"  {label:<30} {value}")
    con.close()
    return 0
