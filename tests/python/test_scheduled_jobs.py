"""scripts/run.sh and scripts/daily.sh as an orchestrator runs them: a user's landing folder is never written
to, a wrong one stops the job in seconds, and each failing stage has its own exit code (0 done, 2 landing
check, 3 build, 4 publish, 5 report). The successful daily run rebuilds a small selection on a copy of the
suite's warehouse, so the suite's own build is never written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SELECTION = ["--select", "int_consent_current", "fct_marketing_audience"]


def run_script(script: str, env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "scripts" / script), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def job_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The caller's environment with every output of the job moved under tmp_path."""
    env = dict(os.environ)
    env.update(
        TAILOR_DATA_DIR=str(tmp_path / "data"),
        TAILOR_DUCKDB_PATH=str(tmp_path / "warehouse" / "w.duckdb"),
        TAILOR_TARGET_DIR=str(tmp_path / "target"),
        TAILOR_PUBLISH_DIR=str(tmp_path / "published"),
        TAILOR_STATE_FILE=str(tmp_path / "state.json"),
        TAILOR_REPORT_PATH=str(tmp_path / "published" / "report.html"),
    )
    env.update(settings)
    return env


def test_run_with_a_users_landing_folder_never_generates_and_stops_at_the_check(tmp_path: Path) -> None:
    exports = tmp_path / "my_exports"
    exports.mkdir()
    started = time.monotonic()
    done = run_script("run.sh", job_env(tmp_path, TAILOR_LANDING=str(exports)), "tiny", timeout=300)
    assert done.returncode != 0
    assert "crm/contacts/: folder missing" in done.stdout
    assert list(exports.iterdir()) == [], "nothing may be written next to a user's data"
    assert not (tmp_path / "data").exists(), "no sample generated for a user's landing folder"
    assert not (tmp_path / "warehouse").exists(), "dbt never started"
    assert time.monotonic() - started < 120


def test_daily_exit_2_on_a_wrong_landing_folder(tmp_path: Path) -> None:
    done = run_script("daily.sh", job_env(tmp_path, TAILOR_LANDING=str(tmp_path / "typo")), timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "landing folder missing" in done.stdout
    assert not (tmp_path / "target").exists()


def built_suite() -> tuple[Path, Path, Path]:
    """The suite's warehouse, target dir and landing folder (scripts/test.sh), or skip."""
    names = ("TAILOR_DUCKDB_PATH", "TAILOR_TARGET_DIR", "TAILOR_LANDING")
    values = [os.environ.get(name) for name in names]
    if not all(values) or not Path(values[0]).exists():
        pytest.skip("needs the suite's built warehouse (scripts/test.sh)")
    return Path(values[0]), Path(values[1]), Path(values[2])


def test_daily_exit_3_when_the_build_fails_and_nothing_is_published(tmp_path: Path) -> None:
    _, _, landing = built_suite()
    not_a_warehouse = tmp_path / "warehouse" / "w.duckdb"
    not_a_warehouse.parent.mkdir()
    not_a_warehouse.write_text("not a database\n" * 100)
    done = run_script("daily.sh", job_env(tmp_path, TAILOR_LANDING=str(landing), TAILOR_TARGET="ci"), *SELECTION)
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    assert not (tmp_path / "published").exists()
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "build_failed"


def test_daily_exit_0_for_a_shop_without_support_tickets(tmp_path: Path) -> None:
    """The landing folder lacks support/ and TAILOR_ABSENT_SOURCES says so: the check passes, the support
    staging models build empty with the columns they have when the source exists, the job publishes and
    reports and records the run."""
    built, _, landing = built_suite()
    warehouse = tmp_path / "warehouse" / "w.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(built, warehouse)
    shop = tmp_path / "shop_exports"
    shop.mkdir()
    for source in landing.iterdir():
        if source.is_dir() and source.name != "support":
            (shop / source.name).symlink_to(source, target_is_directory=True)
    env = job_env(tmp_path, TAILOR_LANDING=str(shop), TAILOR_TARGET="ci", TAILOR_ABSENT_SOURCES="support")
    done = run_script("daily.sh", env, *SELECTION, "stg_support__tickets", "stg_support__tickets_quarantine")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (tmp_path / "published" / "tailor_marts.duckdb").exists()
    assert (tmp_path / "published" / "report.html").stat().st_size > 1_000_000
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["status"] == "published" and state["absent_sources"] == "support"
    assert state["warehouse"] == str(warehouse) and state["landing"] == str(shop)
    for model in ("stg_support__tickets", "stg_support__tickets_quarantine"):
        with duckdb.connect(str(built), read_only=True) as suite_con:
            columns_with_source = suite_con.execute(f"describe {model}").fetchall()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute(f"select count(*) from {model}").fetchone() == (0,)
            assert con.execute(f"describe {model}").fetchall() == columns_with_source
