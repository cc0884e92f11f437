"""Incremental builds equal a full refresh: build the tiny dataset, land the held-back day, rewrite an old
partition (rows removed, as a data owner does for an erasure), land an event of an erased person again,
build again incrementally, re-deliver the oldest partition corrected with the same number of rows (noticed
only by its landing fingerprint), build again, rebuild everything from scratch into a second warehouse, and
compare row for row. The planted erasure requests are applied from the first build on: the stored tables keep
no record of an erased person across the incremental runs, and the tombstones stay."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from tailor.privacy.salt import set_session_salt

REPO = Path(__file__).resolve().parents[2]
SCALE = "tiny"
# the incremental models, the marts built on them, and everything they need
SELECTOR = "+int_events_unified +int_sessions_sessionized +fct_sessions +fct_interactions"
COMPARED = (
    "int_erasure_tombstones",
    "base_events__events",
    "base_web__pages",
    "int_events_unified",
    "int_events_identified",
    "int_sessions_sessionized",
    "fct_sessions",
    "fct_interactions",
)
STEP_TIMEOUT_S = 600
# the stored tables staging and the identity graph keep, and the identifier columns of each
ERASED_RECORD_COLUMNS = {
    "base_events__events": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "base_web__pages": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "base_web__identifies": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'", "email_hash": "'email_hash'"},
    "base_privacy__consent_events": {"user_id": "'user_id'", "anonymous_id": "'anonymous_id'"},
    "int_identity_edges": {"left_value": "left_type", "right_value": "right_type"},
    "int_identifiers_resolved": {"identifier_value": "identifier_type"},
    "stg_commerce__orders": {"customer_id": "'user_id'", "email_hash": "'email_hash'"},
    "stg_crm__contacts": {"contact_id": "'crm_contact_id'", "email_hash": "'email_hash'"},
}


@dataclass(frozen=True)
class Redelivery:
    """A corrected re-delivery of an old partition: its date, rows, and rows whose item was corrected."""

    dt: str
    rows: int
    corrected_rows: int
    oldest_stored_dt_in_late_window: str


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full_refresh: Path
    events_before: int
    events_after: int
    compiled_events_sql: str
    compiled_base_sql: str
    base_rows_rewritten: int
    linked_device_events: int
    linked_device_events_moved: int
    redelivered: Redelivery
    scoped_test_sql: str
    first_tombstones: frozenset[str]
    relanded_device: str


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


def _link_old_device(landing: Path, db: Path) -> tuple[str, str, int]:
    """Land one more logged-in event on the new day: an old device, only ever seen anonymously and all before
    the next build's window, now used by a user of another person. The identity map moves the device to that
    person, so its old events must be identified again although no partition of theirs is re-read.
    Returns the device, the user and how many stored events the device has."""
    with duckdb.connect(str(db), read_only=True) as con:
        device, n_events = con.execute(
            f"""
            with people as (
                select
                    person_id,
                    count(*) filter (where identifier_type = 'anonymous_id') as n_devices,
                    count(*) filter (where identifier_type = 'user_id') as n_logins
                from main.int_identifiers_retained
                where person_id is not null
                group by person_id
            ),
            old_anonymous_devices as (
                select anonymous_id, count(*) as n_events
                from main.int_events_identified
                where anonymous_id is not null
                group by anonymous_id
                having
                    count(user_id) = 0
                    and max(dt) < (select max(dt) from main.int_events_identified)
                        - interval {_lookback_days()} day
            )
            select devices.anonymous_id, devices.n_events
            from old_anonymous_devices as devices
            inner join main.int_identifiers_retained as identifiers
                on identifiers.identifier_type = 'anonymous_id' and identifiers.identifier_value = devices.anonymous_id
            inner join people using (person_id)
            where people.n_logins = 0 and people.n_devices = 1
            order by devices.anonymous_id
            limit 1
            """
        ).fetchall()[0]
        user = con.execute(
            """
            select identifiers.identifier_value
            from main.int_identifiers_retained as identifiers
            where
                identifiers.identifier_type = 'user_id'
                and identifiers.person_id in (
                    select person_id from main.int_identifiers_retained
                    where identifier_type = 'anonymous_id' group by person_id having count(*) < 5
                )
            order by identifiers.identifier_value
            limit 1
            """
        ).fetchall()[0][0]
        new_day = sorted((landing / "events" / "events").glob("dt=*"))[-1]
        template = next(iter(sorted(new_day.glob("*.parquet"))))
        con.execute(
            f"copy (select * replace ('linked-' || event_id as event_id, '{device}' as anonymous_id,"
            f" '{user}' as user_id) from read_parquet('{template}')"
            " where event_id is not null and anonymous_id is not null and user_id is not null"
            " order by event_id limit 1)"
            f" to '{new_day / 'linked-login.parquet'}' (format parquet)"
        )
    return device, user, n_events


def _reland_erased_event(landing: Path, db: Path) -> str:
    """Land one more event on the new day from a device of an erased person, as a tracker that kept the old
    cookie sends it; returns the device."""
    with duckdb.connect(str(db), read_only=True) as con:
        device = con.execute(
            "select identifier_value from main.int_erasure_tombstones"
            " where identifier_type = 'anonymous_id' and person_id is not null order by 1 limit 1"
        ).fetchall()[0][0]
        new_day = sorted((landing / "events" / "events").glob("dt=*"))[-1]
        template = next(iter(sorted(new_day.glob("*.parquet"))))
        con.execute(
            f"copy (select * replace ('relanded-' || event_id as event_id, '{device}' as anonymous_id,"
            f" null as user_id) from read_parquet('{template}')"
            " where event_id is not null and event_type = 'product_view' order by event_id limit 1)"
            f" to '{new_day / 'relanded-erased.parquet'}' (format parquet)"
        )
    return device


def _tombstone_ids(db: Path) -> frozenset[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select tombstone_id from main.int_erasure_tombstones").fetchall()
    return frozenset(row[0] for row in rows)


def _events_moved_to_login(db: Path, device: str, user: str) -> int:
    """How many events of `device` stored before the linking login now belong to the person of `user`."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            """
            select count(*)
            from main.int_events_identified as events
            inner join main.int_identifiers_retained as identifiers
                on identifiers.identifier_type = 'user_id' and identifiers.identifier_value = ?
            where
                events.anonymous_id = ?
                and events.person_id = identifiers.person_id
                and not starts_with(events.event_id, 'linked-')
            """,
            [user, device],
        ).fetchall()[0][0]


def _redeliver_oldest_partition(landing: Path) -> tuple[str, int, int]:
    """Re-deliver the oldest events partition corrected: the product views carry their items rotated by one
    (as if the sender had shifted a column), same rows, same count. A landing check by row count cannot see
    it; the landing fingerprint (file size and modification time) does. Returns dt, rows and rows changed."""
    oldest = sorted((landing / "events" / "events").glob("dt=*"))[0]
    path = sorted(oldest.glob("*.parquet"))[0]
    rewritten = path.with_suffix(".tmp")
    with duckdb.connect() as con:
        rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        con.execute(
            f"""
            copy (
                with landed as (
                    select *, event_type = 'product_view' and item_id is not null as is_view
                    from read_parquet('{path}', file_row_number = true)
                )
                select * exclude (file_row_number, is_view) replace (
                    case
                        when is_view then coalesce(
                            lead(item_id) over (partition by is_view order by file_row_number),
                            first(item_id) over (partition by is_view order by file_row_number)
                        )
                        else item_id
                    end as item_id
                )
                from landed
                order by file_row_number
            ) to '{rewritten}' (format parquet)
            """
        )
        changed = con.execute(
            f"select count(*) from read_parquet('{path}', file_row_number = true) as old"
            f" inner join read_parquet('{rewritten}', file_row_number = true) as new using (file_row_number)"
            " where old.item_id is distinct from new.item_id"
        ).fetchall()[0][0]
        assert con.execute(f"select count(*) from read_parquet('{rewritten}')").fetchall()[0][0] == rows
    rewritten.replace(path)
    return oldest.name.removeprefix("dt="), rows, changed


def _late_window_start(db: Path) -> str:
    """The first partition the late-event lookback alone would re-read in the next build."""
    with duckdb.connect(str(db), read_only=True) as con:
        return str(
            con.execute(
                f"select max(dt) - interval {_lookback_days()} day from main.base_events__events"
            ).fetchall()[0][0].date()
        )


def _lookback_days() -> int:
    project_vars = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
    return int(project_vars["late_event_lookback_days"])


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
    first_tombstones = _tombstone_ids(warehouse)
    _run([_tool("tailor"), "land-day", "--scale", SCALE, "--out", str(work / "data")], env)
    rewritten_rows = _rewrite_old_partition(work / "data" / "landing" / SCALE)
    device, user, linked_device_events = _link_old_device(work / "data" / "landing" / SCALE, warehouse)
    relanded_device = _reland_erased_event(work / "data" / "landing" / SCALE, warehouse)
    _run(build + dbt_args, env)
    events_after = _count(warehouse, "int_events_unified")
    linked_device_events_moved = _events_moved_to_login(warehouse, device, user)
    compiled = next((work / "target" / "compiled").rglob("int_events_unified.sql")).read_text()
    compiled_base = next((work / "target" / "compiled").rglob("base_events__events.sql")).read_text()
    # a corrected re-delivery of the oldest partition, the only change the next build sees
    late_window_start = _late_window_start(warehouse)
    redelivered_dt, redelivered_rows, corrected_rows = _redeliver_oldest_partition(work / "data" / "landing" / SCALE)
    _run(build + dbt_args, env)
    # rerunning the incremental models without new data must change nothing
    incremental_models = (
        "base_events__events base_web__pages int_events_unified int_events_identified int_sessions_sessionized"
    )
    _run([_tool("dbt"), "run", "--select", incremental_models] + dbt_args, env)
    # the daily data tests of the event tables, scoped to the partitions a daily run re-reads
    _run([_tool("dbt"), "test", "--select", "int_events_unified int_events_identified", "--exclude",
          "test_name:no_erased_persons", "--resource-type", "test"] + dbt_args, env)
    scoped_test_sql = next((work / "target" / "compiled").rglob("unique_int_events_unified_event_id.sql")).read_text()
    # raw = clean + history + quarantine holds with erased records (the quarantine views are not in SELECTOR)
    _run([_tool("dbt"), "run", "--select", "staging,config.materialized:view"] + dbt_args, env)
    _run([_tool("dbt"), "test", "--select", "test_name:raw_rows_reconciled"] + dbt_args, env)
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
        linked_device_events,
        linked_device_events_moved,
        Redelivery(redelivered_dt, redelivered_rows, corrected_rows, late_window_start),
        scoped_test_sql,
        first_tombstones,
        relanded_device,
    )


def test_second_build_ran_incrementally(builds: Builds) -> None:
    assert "where dt >= (select reprocess_window.reprocess_from_dt" in builds.compiled_events_sql
    assert builds.events_after > builds.events_before
    assert "reprocess_window.reprocess_from_dt" in builds.compiled_base_sql
    assert builds.base_rows_rewritten > 0
    # every stored event of the device a new login linked to another person, all before the window, moved
    assert builds.linked_device_events > 0
    assert builds.linked_device_events_moved == builds.linked_device_events


def test_daily_data_tests_read_only_the_new_partitions(builds: Builds) -> None:
    """On an incremental run the event tables' tests read the late-event window, not the whole table (they
    passed in the fixture); the where placeholder was replaced, not left in the SQL."""
    assert "scoped_rows.dt as date) >=" in builds.scoped_test_sql
    assert "__new_partitions__" not in builds.scoped_test_sql


def test_corrected_redelivery_is_read_again(builds: Builds) -> None:
    """The re-delivered partition lies before every window the build re-reads for other reasons, keeps its
    row count, and its corrected items are what the incremental warehouse stores (the stale ones are gone)."""
    redelivery = builds.redelivered
    assert redelivery.corrected_rows > 0
    assert redelivery.dt < redelivery.oldest_stored_dt_in_late_window
    with duckdb.connect() as con:
        con.execute(f"attach '{builds.incremental}' as incremental (read_only)")
        con.execute(f"attach '{builds.full_refresh}' as full_refresh (read_only)")
        stored_rows = con.execute(
            f"select count(*) from incremental.main.base_events__events where dt = '{redelivery.dt}'"
        ).fetchall()[0][0]
        stale_items = con.execute(
            f"""
            select count(*)
            from incremental.main.int_events_identified as incremental_events
            inner join full_refresh.main.int_events_identified as full_refresh_events using (event_id)
            where
                incremental_events.dt = '{redelivery.dt}'
                and incremental_events.item_id is distinct from full_refresh_events.item_id
            """
        ).fetchall()[0][0]
    assert stored_rows == redelivery.rows
    assert stale_items == 0


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


def _erased_rows(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> int:
    """Rows of `table` carrying an identifier of the warehouse's tombstones."""
    conditions = " or ".join(
        f"{type_sql} || ':' || {column} in (select tombstone_id from main.int_erasure_tombstones)"
        for column, type_sql in columns.items()
    )
    return con.execute(f"select count(*) from main.{table} where {conditions}").fetchall()[0][0]


def test_no_stored_table_keeps_a_record_of_an_erased_person(builds: Builds) -> None:
    """After incremental runs (and after a full rebuild), the stored base tables, the identity graph and the
    staging views over single-file sources hold no identifier of an erased person."""
    assert builds.first_tombstones, "the first build tombstoned nobody: the check would prove nothing"
    for warehouse in (builds.incremental, builds.full_refresh):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            set_session_salt(con, os.environ.get("TAILOR_PII_SALT", "ci-test-salt"))
            found = {t: n for t, cols in ERASED_RECORD_COLUMNS.items() if (n := _erased_rows(con, t, cols))}
            erased = con.execute(
                "select count(*) from main.base_events__events where quarantine_reason = 'erased'"
            ).fetchall()[0][0]
        assert not found, f"{warehouse.name}: records of erased persons in {found}"
        assert erased > 0


def test_tombstones_outlive_the_records_they_erased(builds: Builds) -> None:
    """Every tombstone of the first build is still there after the incremental runs, although staging no
    longer gives the identity graph any record of the erased persons, and is kept in the store too."""
    kept = _tombstone_ids(builds.incremental)
    with duckdb.connect(str(builds.incremental), read_only=True) as con:
        stored = frozenset(
            row[0] for row in con.execute("select tombstone_id from main.erasure_tombstones_applied").fetchall()
        )
        in_graph = _erased_rows(con, "int_identifiers_resolved", ERASED_RECORD_COLUMNS["int_identifiers_resolved"])
        persons = con.execute("select count(*) from main.int_persons_erased").fetchall()[0][0]
    assert builds.first_tombstones <= kept
    assert kept == stored
    assert in_graph == 0
    assert persons > 0


def test_a_relanded_record_of_an_erased_person_is_stored_redacted(builds: Builds) -> None:
    """An event of an erased person's device landing after the erasure is read once, kept in the base table as
    an `erased` row without identifiers or payload, and reaches no model."""
    with duckdb.connect(str(builds.incremental), read_only=True) as con:
        stored = con.execute(
            "select quarantine_reason, anonymous_id, user_id, event_type, raw_record from main.base_events__events"
            " where starts_with(event_id, 'relanded-')"
        ).fetchall()
        unified = con.execute(
            "select count(*) from main.int_events_unified where starts_with(event_id, 'relanded-')"
            f" or anonymous_id = '{builds.relanded_device}'"
        ).fetchall()[0][0]
    assert stored == [("erased", None, None, None, '{"erased": true}')]
    assert unified == 0


def test_redacted_partitions_are_not_read_again(builds: Builds) -> None:
    """Redaction keeps every partition's row count and landing fingerprint, so the reprocess window of the
    next run does not start at a partition because it holds erased rows."""
    landing = builds.incremental.parent / "data" / "landing" / SCALE / "events" / "events"
    with duckdb.connect(str(builds.incremental), read_only=True) as con:
        differing = con.execute(
            f"""
            with landed as (
                select cast(dt as date) as dt, count(*) as row_count
                from read_parquet('{landing}/dt=*/*.parquet', hive_partitioning = true, union_by_name = true)
                group by 1
            ),
            stored as (
                select dt, count(*) as row_count, count(distinct landing_fingerprint) as fingerprints
                from main.base_events__events group by 1
            )
            select count(*) from landed full join stored using (dt)
            where landed.row_count is distinct from stored.row_count or stored.fingerprints != 1
            """
        ).fetchall()[0][0]
        erased_partitions = con.execute(
            "select count(distinct dt) from main.base_events__events where quarantine_reason = 'erased'"
        ).fetchall()[0][0]
    assert erased_partitions > 1
    assert differing == 0
