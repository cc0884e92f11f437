"""Trust checks that run dbt against copies of the built warehouse and landing folder, never the shared build:
leftover relations are dropped and unknown ones fail the run; a landed file missing a declared column is
named with its source and columns; the pseudonymization salt is refused when it is the public default on
real data or differs from the stored pseudonyms'.

They read TAILOR_DUCKDB_PATH, TAILOR_LANDING and TAILOR_TARGET_DIR of a finished build (scripts/test.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tailor.landing import table as landing_table
from tailor.privacy.salt import DEFAULT_PII_SALT, GENERATED_MARKER, refusal, salt_fingerprint

REPO = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_S = 300

Dbt = Callable[..., subprocess.CompletedProcess]
# The staging base models stored as tables: they keep landed rows until the landing files lose them.
STORED_STAGING = ("base_events__events", "base_web__pages", "base_web__identifies", "base_privacy__consent_events")


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set")
    return Path(value)


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built warehouse and of the landing folder, with one dbt target folder for every call
    (so dbt parses the project once)."""
    db, landing = _env_path("TAILOR_DUCKDB_PATH"), _env_path("TAILOR_LANDING")
    if not db.exists() or not landing.is_dir():
        pytest.skip("build the project first (TAILOR_DUCKDB_PATH, TAILOR_LANDING)")
    root = tmp_path_factory.mktemp("trust")
    shutil.copy2(db, root / "warehouse.duckdb")
    shutil.copytree(landing, root / "landing")
    return root


@pytest.fixture(scope="module")
def dbt(scratch: Path) -> Dbt:
    """Runs `dbt <args>` on the scratch copies; extra keyword arguments override the environment."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        environ = {
            **os.environ,
            "TAILOR_DUCKDB_PATH": str(scratch / "warehouse.duckdb"),
            "TAILOR_LANDING": str(scratch / "landing"),
            "DBT_PROFILES_DIR": str(REPO / "profiles"),
            **env,
        }
        environ = {k: v for k, v in environ.items() if v is not None and not (k == "TAILOR_PII_SALT" and v == "")}
        command = [_tool("dbt"), *args, "--target", "ci", "--target-path", str(scratch / "target"),
                   "--log-path", str(scratch / "logs")]
        return subprocess.run(command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)

    return run


def _error_lines(done: subprocess.CompletedProcess) -> list[str]:
    """dbt's output lines from the first error on, without log timestamps."""
    lines = [line.split("  ", 1)[-1].strip() if line[:1] == "\x1b" or line[:2].isdigit() else line.strip()
             for line in (done.stdout + done.stderr).splitlines()]
    return [line for line in lines if line]


def test_leftover_relations_are_dropped_and_unknown_ones_fail_the_run(scratch: Path, dbt: Dbt) -> None:
    """A `__dbt_tmp` table holding person ids (as a Python incremental model leaves one per run) is dropped by
    the on-run-end macro; a table that is no node of the project makes the inventory check fail, by name."""
    with duckdb.connect(str(scratch / "warehouse.duckdb")) as con:
        con.execute("create table main.int_segments_trained__dbt_tmp20261205120000 as "
                    "select ['p1', 'p2'] as members")
        con.execute("create schema if not exists scratch_copies")
        con.execute("create table scratch_copies.profiles_copy as select 'p1' as person_id")
    dropped = dbt("run-operation", "drop_leftover_relations")
    assert dropped.returncode == 0, dropped.stdout[-3000:]
    checked = dbt("run-operation", "check_relation_inventory")
    assert checked.returncode != 0
    assert "scratch_copies.profiles_copy" in checked.stdout
    assert "int_segments_trained__dbt_tmp" not in checked.stdout
    with duckdb.connect(str(scratch / "warehouse.duckdb")) as con:
        left = con.sql("select table_name from information_schema.tables where table_name like '%dbt_tmp%'")
        assert left.fetchall() == []
        con.execute("drop schema scratch_copies cascade")


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_a_file_missing_columns_is_named_with_its_source_and_columns(
    scratch: Path, dbt: Dbt, file_format: str
) -> None:
    """The first line of the failure names the source, the file and every missing column, for either format."""
    orders = landing_table("commerce", "orders")
    parquet_file = scratch / "landing" / orders.path
    original = pq.read_table(parquet_file)
    broken = original.drop_columns(["discount", "shipping"])
    landed = parquet_file if file_format == "parquet" else parquet_file.with_suffix(".csv")
    try:
        if file_format == "parquet":
            pq.write_table(broken, landed)
        else:
            pacsv.write_csv(broken, landed)
        done = dbt("run", "--select", "stg_commerce__orders", TAILOR_FORMAT_COMMERCE=file_format)
    finally:
        pq.write_table(original, parquet_file)
        if file_format == "csv":
            landed.unlink(missing_ok=True)
    assert done.returncode != 0
    first = next(line for line in _error_lines(done) if "source commerce.orders" in line)
    assert f"file {landed} lacks column(s) discount, shipping" in first, first
    assert "Binder Error" not in done.stdout


def test_the_public_default_salt_is_refused_on_real_data(scratch: Path, dbt: Dbt) -> None:
    """Outside a generated sample (a landing folder without the generator's marker) the default salt stops
    the run before anything is read, with a one-line fix."""
    assert (scratch / "landing" / GENERATED_MARKER).is_file(), "the generator marks the sample it writes"
    (scratch / "landing" / GENERATED_MARKER).rename(scratch / "marker")
    try:
        refused = dbt("run-operation", "check_pii_salt", TAILOR_PII_SALT="")
    finally:
        (scratch / "marker").rename(scratch / "landing" / GENERATED_MARKER)
    assert refused.returncode != 0
    fix = next(line for line in _error_lines(refused) if "is not a generated sample" in line)
    assert "Fix: export TAILOR_PII_SALT=" in fix


def test_a_changed_salt_is_refused_on_stored_pseudonyms(dbt: Dbt) -> None:
    done = dbt("run-operation", "check_pii_salt", TAILOR_PII_SALT="another-secret")
    assert done.returncode != 0
    assert "differs from the salt of the pseudonyms stored in this warehouse" in done.stdout
    assert salt_fingerprint("another-secret") in done.stdout


def test_salt_refusal_rule(tmp_path: Path) -> None:
    assert refusal(DEFAULT_PII_SALT, tmp_path) is not None
    assert refusal("a-secret", tmp_path) is None
    (tmp_path / GENERATED_MARKER).write_text("")
    assert refusal(DEFAULT_PII_SALT, tmp_path) is None
    assert salt_fingerprint("a") != salt_fingerprint("b") and "a-secret" not in salt_fingerprint("a-secret")


def test_erase_landing_counts_by_default_and_rewrites_on_apply(scratch: Path, dbt: Dbt) -> None:
    """`tailor erase-landing` is a dry run unless told to apply; applied, no landed row of an erased person is
    left (order lines of their orders included) and every other row is kept; both runs are audited. The next
    run re-reads the rewritten partitions, so the stored staging tables lose the rows too."""
    from tailor.landing_erasure import run_erasure

    landing, db = scratch / "landing", scratch / "warehouse.duckdb"
    before = {p: p.read_bytes() for p in landing.rglob("*.parquet")}
    dry = run_erasure(landing, db, apply=False)
    erased = sum(r.erased_rows for r in dry)
    assert erased > 0 and {r.table for r in dry if r.erased_rows} >= {"events.events", "crm.contacts"}
    assert {p: p.read_bytes() for p in landing.rglob("*.parquet")} == before, "a dry run changed a file"
    applied = run_erasure(landing, db, apply=True)
    assert [(r.path, r.erased_rows) for r in applied] == [(r.path, r.erased_rows) for r in dry]
    rows_after = {str(p): n for p, n in _row_counts(landing).items()}
    for r in applied:
        assert rows_after[str(r.path)] == r.rows - r.erased_rows
    assert sum(r.erased_rows for r in run_erasure(landing, db, apply=False)) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        audited = con.sql(
            "select status, rows_affected from audit_run_log where node_id = 'tailor erase-landing' "
            "order by run_started_at"
        ).fetchall()
    assert audited == [("dry_run", erased), ("applied", erased), ("dry_run", 0)]
    with duckdb.connect(str(db), read_only=True) as con:
        tombstoned = con.sql("select identifier_value from int_erasure_tombstones "
                             "where identifier_type in ('user_id', 'anonymous_id')").fetchall()
    assert tombstoned
    rerun = dbt("run", "--select", " ".join(STORED_STAGING))
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("create temp table erased_ids as select unnest(?::varchar[]) as v", [[v for (v,) in tombstoned]])
        for table in STORED_STAGING:
            left = con.sql(f"select count(*) from {table} where anonymous_id in (select v from erased_ids) "
                           "or user_id in (select v from erased_ids)").fetchall()[0][0]
            assert left == 0, f"{table} still holds {left} rows of erased persons"


def _row_counts(landing: Path) -> dict[Path, int]:
    return {p: pq.read_metadata(p).num_rows for p in landing.rglob("*.parquet")}
