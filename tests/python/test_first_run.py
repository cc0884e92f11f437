"""A new user's first commands: plain `dbt` from the repo root finds the profile and creates the warehouse
folder, and opening the warehouse waits only for a lock, failing at once on any other error."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tailor.duckdb_plugin import prepare_warehouse

REPO = Path(__file__).resolve().parents[2]
DBT = REPO / ".venv" / "bin" / "dbt"

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(30)
"""


def test_plain_dbt_from_the_repo_root_finds_the_profile_and_creates_the_warehouse_folder(tmp_path: Path) -> None:
    if not DBT.exists():
        pytest.skip("no .venv: run scripts/bootstrap.sh")
    warehouse = tmp_path / "not" / "yet" / "there.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "DBT_PROFILES_DIR"}
    env.update(HOME=str(tmp_path), TAILOR_DUCKDB_PATH=str(warehouse), TAILOR_TARGET="dev")
    started = time.monotonic()
    done = subprocess.run(
        [str(DBT), "debug", "--no-version-check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "profiles" in done.stdout and "All checks passed" in done.stdout
    assert warehouse.exists()
    assert time.monotonic() - started < 60


def test_a_lock_held_by_another_process_is_waited_for_then_named(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="another process holds it"):
            prepare_warehouse(str(path), attempts=3, wait_s=0.1)
        assert time.monotonic() - started >= 0.3  # waited 0.1 + 0.2 s between the three attempts
    finally:
        holder.kill()
        holder.wait()
    prepare_warehouse(str(path), attempts=3, wait_s=0.1)  # free again: opens


def test_any_other_open_error_fails_at_once_with_the_path(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.duckdb"
    not_a_database.write_text("this is not a DuckDB file\n" * 1000)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="TAILOR_DUCKDB_PATH") as raised:
        prepare_warehouse(str(not_a_database), attempts=5, wait_s=10)
    assert str(not_a_database) in str(raised.value)
    assert time.monotonic() - started < 5
