"""A dbt-duckdb plugin that opens the warehouse the way a first run needs: its folder is created, a file lock
held by another process (a BI reader, a second build) is waited for, and any other open error fails at once
with the path and the fix, instead of being retried for minutes.

Configured in profiles/profiles.yml (`plugins: [{module: tailor.duckdb_plugin}]`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

LOCK_MARKERS = ("could not set lock", "conflicting lock")
DEFAULT_LOCK_ATTEMPTS = 5


def is_lock_error(error: Exception) -> bool:
    """True when a DuckDB open failed only because another process holds the file."""
    return any(marker in str(error).lower() for marker in LOCK_MARKERS)


def prepare_warehouse(path: str, attempts: int = DEFAULT_LOCK_ATTEMPTS, wait_s: float = 1.0) -> None:
    """Create the warehouse folder, then open and close the file: retry a lock, fail fast on anything else."""
    if not path or path.startswith(":memory:") or "://" in path or path.startswith("md:"):
        return
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            duckdb.connect(path).close()
            return
        except duckdb.IOException as error:
            if not is_lock_error(error) or attempt == attempts:
                hint = (
                    "another process holds it (close the BI tool or the other build; BI should read published/)"
                    if is_lock_error(error)
                    else "check the path (TAILOR_DUCKDB_PATH) and its permissions"
                )
                raise RuntimeError(f"cannot open warehouse {path}: {error}; {hint}") from error
            time.sleep(wait_s * 2 ** (attempt - 1))


class Plugin(BasePlugin):
    """Runs prepare_warehouse before dbt-duckdb connects."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.lock_attempts = int(plugin_config.get("lock_attempts", DEFAULT_LOCK_ATTEMPTS))

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        prepare_warehouse(creds.path, self.lock_attempts)
