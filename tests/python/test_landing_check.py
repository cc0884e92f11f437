"""`tailor check`: a landing folder is checked against the contract in seconds, every problem on one screen,
and a source declared absent is skipped; the sources' documented columns equal the contract's."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from tailor.landing import TABLES, table
from tailor.landing_check import absent_sources, check_landing, render_findings, source_formats

REPO = Path(__file__).resolve().parents[2]
LANDING_FILE_COLUMNS = ["filename", "file_row_number"]  # added by the readers; `dt` too for partitioned tables


def write_contract_table(
    root: Path, source: str, name: str, drop: str | None = None, retype: str | None = None
) -> None:
    """One empty contract table (minus `drop`, with `retype` as BOOLEAN) as the sources read it."""
    entry = table(source, name)
    path = root / entry.path.replace("dt=*", "dt=2026-01-01").replace("*.parquet", "part-0.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(
        f"cast(null as {'BOOLEAN' if column == retype else kind}) as \"{column}\""
        for column, kind in entry.columns.items() if column != drop
    )
    duckdb.sql(f"copy (select {columns}) to '{path}' (format parquet)")


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    for entry in TABLES:
        write_contract_table(tmp_path, entry.source, entry.name)
    return tmp_path


def test_a_complete_landing_folder_passes(landing: Path) -> None:
    assert check_landing(landing) == []


def test_every_problem_is_reported_at_once_with_source_file_and_column(landing: Path) -> None:
    import shutil

    shutil.rmtree(landing / "support")
    write_contract_table(landing, "commerce", "orders", drop="currency", retype="subtotal")
    for stale in (landing / "events" / "events").rglob("*.parquet"):
        stale.unlink()
    findings = check_landing(landing)
    problems = {(f.source, f.table, f.problem) for f in findings}
    assert problems == {
        ("support", "tickets", "folder missing"),
        ("commerce", "orders", "column currency missing"),
        ("commerce", "orders", "column subtotal is BOOLEAN, the contract says DOUBLE"),
        ("events", "events", "no parquet files"),
    }
    screen = render_findings(landing, findings, set())
    assert "commerce/orders/orders.parquet: column currency missing" in screen
    assert "export TAILOR_ABSENT_SOURCES=support" in screen


def test_a_source_declared_absent_is_skipped(landing: Path) -> None:
    import shutil

    shutil.rmtree(landing / "experiments")
    absent = absent_sources({"TAILOR_ABSENT_SOURCES": " Experiments, support "})
    assert absent == {"experiments", "support"}
    assert check_landing(landing, absent) == []


def test_csv_sources_are_checked_for_columns(landing: Path) -> None:
    formats = source_formats({"TAILOR_FORMAT_CRM": "csv"})
    assert formats["crm"] == "csv" and formats["web"] == "parquet"
    assert [f.problem for f in check_landing(landing, formats=formats)] == ["no csv files"]
    contacts = landing / "crm" / "contacts" / "contacts.csv"
    contacts.write_text(",".join(c for c in table("crm", "contacts").columns if c != "Email") + "\n")
    assert [f.problem for f in check_landing(landing, formats=formats)] == ["column Email missing"]


def test_the_command_exits_non_zero_within_seconds_on_a_wrong_landing_folder(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tailor.cli", "check", "--landing", str(tmp_path / "typo")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert "landing folder missing" in done.stdout
    assert time.monotonic() - started < 10


def test_documented_source_columns_equal_the_landing_contract() -> None:
    """The absent-source relation (macros/staging/absent_sources.sql) takes its columns from these docs."""
    documented = {}
    for path in sorted((REPO / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for entry in source["tables"]:
                documented[(source["name"], entry["name"])] = [c["name"] for c in entry.get("columns", [])]
    contract = {
        (t.source, t.name): list(t.columns) + (["dt"] if t.partitioned else []) + LANDING_FILE_COLUMNS
        for t in TABLES
    }
    assert documented == contract
