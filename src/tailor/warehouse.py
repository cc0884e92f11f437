"""Read-only access to the built warehouse for the reporting commands and the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailor.privacy.salt import pii_salt, set_session_salt

DEFAULT_DB_PATH = "warehouse/tailor.duckdb"


def default_db_path() -> Path:
    """TAILOR_DUCKDB_PATH, else the warehouse the last main job built (tailor.state), else the default."""
    from tailor.state import resolve

    return Path(resolve("warehouse", default=DEFAULT_DB_PATH))


def connect(db_path: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; read-only by default so a report never blocks or changes a build.

    The session gets the pseudonymization salt, as a dbt connection does, so staging views can be read."""
    path = Path(db_path) if db_path else default_db_path()
    if not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist: run `make run` (or scripts/run.sh) first")
    conn = duckdb.connect(str(path), read_only=read_only)
    set_session_salt(conn, pii_salt())
    return conn
