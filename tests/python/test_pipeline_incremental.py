"""Incremental builds equal a full refresh: build the tiny dataset, land the held-back day, rewrite an old
partition (rows removed, as a data owner does for an erasure), build again incrementally, rebuild everything
from scratch into a second warehouse, and compare row for row."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SCALE = "tiny"
# the incremental models, the marts built on them, and everything they need
SELECTOR = "+int_events_unified +int_sessions_sessionized +fct_sessions +fct_interactions"
COMPARED = (
    "base_events__events",
    "base_web__pages",
    "int_events_unified",
    "int_events_identified",
    "int_sessions_sessionized",
    "fct_sessions",
    "fct_interactions",
)
STEP_TIMEOUT_S = 600


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full_refresh: Path
    events_before: int
    events_after: int
    compiled_events_sql: str
    compiled_base_sql: str
    base_rows_rewritten: int
    moved_old_events: int


def _run(cmd: list[str], env: dict[str, str]) -> None:
    """Run one pipeline step from the repo root; on failure show its output, which is where dbt says why."""
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")


def _tool(name: str) -> str:
    """A console script from the interpreter's own environment (the project venv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _prepare_data(root: Path, env: dict[str, str]) -> None:
    """Copy the shared tiny dataset with its held-back day (landing a day changes it), else generate one."""
    shared = REPO / "data"
    parts = ("landing", "pending", "truth")
    pending = shared / "pending" / SCALE
    if (shared / "landing" / SCALE / "_SUCCESS").exists() and pending.is_dir() and any(pending.iterdir()):
        for part in parts:
            shutil.copytree(shared / part / SCALE, root / part / SCALE)
    else:
        _run([_tool("tailor"), "generate", "--scale", SCALE, "--out", str(root), "--quiet"], env)


def _rewrite_old_partition(landing: Path) -> int:
    """Rewrite the first old events file holding rows without an id or identity, without them; returns how
    many rows it dropped. Such rows are quarantined and no copy of anything, so the marts stay the same while
    the base table must notice that the old partition changed (raw rows = clean + quarantined)."""
    files = sorted((landing / "events" / "events").glob("dt=*/*.parquet"))
    unwanted = "event_id is null or (anonymous_id is null and user_id is null)"
    with duckdb.connect() as con:
        for path in files[: len(files) // 2]:
            dropped = con.execute(f"select count(*) from read_parquet('{path}') where {unwanted}").fetchall()[0][0]
            if dropped:
                rewritten = path.with_suffix(".tmp")
                con.execute(
                    f"copy (select * exclude (file_row_number) from read_parquet('{path}', file_row_number = true)"
                    f" where not ({unwanted}) order by file_row_number) to '{rewritten}' (format parquet)"
                )
                rewritten.replace(path)
                return dropped
    return 0


def _persons_before_window(db: Path) -> dict[str, str | None]:
    """Each stored event's person, for the events before the next build's lookback window (3 days)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(
            con.execute(
                "select event_id, person_id from main.int_events_identified"
                " where dt < (select max(dt) from main.int_events_identified) - interval 3 day"
            ).fetchall()
        )


def _persons(db: Path) -> dict[str, str | None]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("select event_id, person_id from main.int_events_identified").fetchall())


def _count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select count(*) from main.{table}").fetchall()[0][0]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    work = tmp_path_factory.mktemp("incremental")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "TAILOR_LANDING": str(work / "data" / "landing" / SCALE),
        "TAILOR_PII_SALT": os.environ.get("TAILOR_PII_SALT", "ci-test-salt"),
    }
    _prepare_data(work / "data", env)
    dbt_args = ["--target", "ci", "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    build = [_tool("dbt"), "build", "--select", SELECTOR, "--resource-type", "seed", "--resource-type", "model"]
    # every build writes the same path (an unchanged profile keeps dbt's partial parse); moved away after
    warehouse = work / "warehouse.duckdb"
    env = {**env, "TAILOR_DUCKDB_PATH": str(warehouse)}

    _run(build + dbt_args, env)
    events_before = _count(warehouse, "int_events_unified")
    persons_before = _persons_before_window(warehouse)
    _run([_tool("tailor"), "land-day", "--scale", SCALE, "--out", str(work / "data")], env)
    rewritten_rows = _rewrite_old_partition(work / "data" / "landing" / SCALE)
    _run(build + dbt_args, env)
    events_after = _count(warehouse, "int_events_unified")
    # events before the window whose person the new day's logins changed: they are identified again too
    persons_after = _persons(warehouse)
    moved_old_events = sum(persons_after.get(event) != person for event, person in persons_before.items())
    compiled = next((work / "target" / "compiled").rglob("int_events_unified.sql")).read_text()
    compiled_base = next((work / "target" / "compiled").rglob("base_events__events.sql")).read_text()
    # rerunning the incremental models without new data must change nothing
    incremental_models = (
        "base_events__events base_web__pages int_events_unified int_events_identified int_sessions_sessionized"
    )
    _run([_tool("dbt"), "run", "--select", incremental_models] + dbt_args, env)
    incremental = warehouse.rename(work / "incremental.duckdb")

    _run(build + ["--full-refresh"] + dbt_args, env)
    full_refresh = warehouse.rename(work / "full_refresh.duckdb")
    return Builds(
        incremental,
        full_refresh,
        events_before,
        events_after,
        compiled,
        compiled_base,
        rewritten_rows,
        moved_old_events,
    )


def test_second_build_ran_incrementally(builds: Builds) -> None:
    assert "where dt >= (select reprocess_window.reprocess_from_dt" in builds.compiled_events_sql
    assert builds.events_after > builds.events_before
    assert "reprocess_window.reprocess_from_dt" in builds.compiled_base_sql
    assert builds.base_rows_rewritten > 0
    assert builds.moved_old_events > 0


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_equals_full_refresh(builds: Builds, table: str) -> None:
    with duckdb.connect() as con:
        con.execute(f"attach '{builds.incremental}' as incremental (read_only)")
        con.execute(f"attach '{builds.full_refresh}' as full_refresh (read_only)")
        total = con.execute(f"select count(*) from full_refresh.main.{table}").fetchall()[0][0]
        only_incremental = con.execute(
            f"select count(*) from (select * from incremental.main.{table}"
            f" except all select * from full_refresh.main.{table})"
        ).fetchall()[0][0]
        only_full_refresh = con.execute(
            f"select count(*) from (select * from full_refresh.main.{table}"
            f" except all select * from incremental.main.{table})"
        ).fetchall()[0][0]
    assert total > 0
    assert (only_incremental, only_full_refresh) == (0, 0)
