"""Shared fixtures of the pipeline checks."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from tailor.warehouse import connect, default_db_path


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """The built warehouse (TAILOR_DUCKDB_PATH), read-only. The module is skipped when the file or any of its
    REQUIRED_TABLES is missing. Modules that must fail instead of skipping define their own fixture."""
    path = default_db_path()
    if not path.exists():
        pytest.skip(f"no warehouse at {path}: build it first")
    con = connect(path)
    tables = set(con.sql("select table_name from information_schema.tables").df()["table_name"])
    missing = [table for table in getattr(request.module, "REQUIRED_TABLES", ()) if table not in tables]
    if missing:
        con.close()
        pytest.skip(f"{', '.join(missing)} not built in {path}")
    yield con
    con.close()
