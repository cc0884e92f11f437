"""Readers of built marts: a DuckDB warehouse file, or a Spark warehouse (its metastore and table folders)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

Reader = Callable[[str], pd.DataFrame | None]


def mart_names(manifest_path: str | Path) -> list[str]:
    """The marts of a dbt build: the models under models/marts/ in its manifest."""
    manifest = json.loads(Path(manifest_path).read_text())
    return sorted(
        node["alias"] or node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    )


def column_tolerances(manifest_path: str | Path) -> dict[str, dict[str, float]]:
    """mart -> column -> relative float tolerance, for the mart columns whose yml marks them
    `meta: {float_precision: single}` (computed from a single-precision model fit)."""
    from tailor.engines.compare import SINGLE_PRECISION_REL_TOLERANCE

    manifest = json.loads(Path(manifest_path).read_text())
    tolerances: dict[str, dict[str, float]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["original_file_path"].startswith("models/marts/"):
            continue
        for name, column in node.get("columns", {}).items():
            meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
            if meta.get("float_precision") == "single":
                tolerances.setdefault(node["alias"] or node["name"], {})[name] = SINGLE_PRECISION_REL_TOLERANCE
    return tolerances


def duckdb_reader(db_path: str | Path, schema: str = "main") -> Reader:
    """Reads a mart from a DuckDB warehouse file, read-only; None when the table is missing."""
    from tailor.warehouse import connect

    con = connect(db_path)

    def read(mart: str) -> pd.DataFrame | None:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, mart],
        ).fetchall()[0][0]
        return con.sql(f'select * from "{schema}"."{mart}"').df() if exists else None

    return read


def spark_reader(schema: str) -> Reader:
    """Reads a mart from the Spark session's catalog (the local warehouse of the `spark` target)."""
    from tailor.engines.spark_session import local_session

    session = local_session()

    def read(mart: str) -> pd.DataFrame | None:
        if not session.catalog.tableExists(f"{schema}.{mart}"):
            return None
        return session.table(f"{schema}.{mart}").toArrow().to_pandas()

    return read


def spark_folder_tables(warehouse: str | Path, schema: str = "main") -> list[str]:
    """The tables a Spark warehouse folder stores for `schema`: one folder each under tables/<schema>.db/
    (views live only in the metastore and have none)."""
    root = Path(warehouse) / "tables" / f"{schema}.db"
    return sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []


def spark_folder_reader(warehouse: str | Path, schema: str = "main") -> Reader:
    """Reads a table of a Spark warehouse from its Parquet folder, without Spark or its metastore, so that a
    copy of a warehouse folder (whose metastore still names the original's paths) can be read too; None when
    the table has no folder. Partition columns (`dt=` folders) are typed from the folder names (a date stays
    text), the same on both sides of a comparison; Spark's marker files (`_SUCCESS`, `.crc`) are skipped."""
    import pyarrow.dataset as ds

    root = Path(warehouse) / "tables" / f"{schema}.db"

    def read(table: str) -> pd.DataFrame | None:
        folder = root / table
        if not folder.is_dir():
            return None
        return ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pandas()

    return read
