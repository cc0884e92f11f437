"""Opt-in erasure in the landing zone: rewrite the landing files without the rows of erased persons.

The build never changes landing files (they belong to whoever delivers them); teams whose landing zone is
their own run `tailor erase-landing` after a build, with the build's int_erasure_tombstones as the list.
A dry run (the default) only counts; every run, dry or not, is recorded in audit_run_log."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tailor.landing import TABLES, LandingTable
from tailor.landing import table as landing_table
from tailor.privacy.salt import SALT_VARIABLE, pii_salt, salt_fingerprint, set_session_salt

# Landed column -> identifier type of int_erasure_tombstones. Emails are compared by their pseudonym, made
# with the build's salt exactly as the `pseudonymize` macro does.
IDENTIFIER_COLUMNS: dict[str, dict[str, str]] = {
    "crm.contacts": {"Id": "crm_contact_id", "Email": "email_hash"},
    "web.pages": {"anonymous_id": "anonymous_id", "user_id": "user_id"},
    "web.identifies": {"anonymous_id": "anonymous_id", "user_id": "user_id", "email": "email_hash"},
    "events.events": {"anonymous_id": "anonymous_id", "user_id": "user_id"},
    "commerce.orders": {"customer_id": "user_id", "email": "email_hash"},
    "support.tickets": {"customer_email": "email_hash"},
    "privacy.consent_events": {"anonymous_id": "anonymous_id", "user_id": "user_id"},
    "experiments.assignments": {"unit_id": "unit_type"},
}
# Requests are kept (applied on every build); products carry no person; order lines follow their order.
KEPT_TABLES = frozenset({"privacy.erasure_requests", "catalog.products"})
AUDIT_NODE = "tailor erase-landing"


@dataclass(frozen=True)
class FileErasure:
    path: Path
    table: str
    rows: int
    erased_rows: int


def _identifier_sql(column: str, identifier_type: str) -> str:
    """SQL matching a landed column against the tombstones (`tombstones` temp table)."""
    value = f'nullif(trim(cast("{column}" as varchar)), \'\')'
    if identifier_type == "email_hash":
        value = f"sha256(getvariable('{SALT_VARIABLE}') || nullif(lower(trim({value})), ''))"
        type_sql = "'email_hash'"
    elif identifier_type == "unit_type":  # experiment units name their own type
        type_sql = "lower(trim(unit_type))"
    else:
        type_sql = f"'{identifier_type}'"
    return f"({value}, {type_sql}) in (select (identifier_value, identifier_type) from tombstones)"


def erased_condition(table: str) -> str | None:
    """SQL true on a landed row of `table` that belongs to an erased person; None for kept tables."""
    if table in KEPT_TABLES:
        return None
    if table == "commerce.order_items":
        return "trim(order_id) in (select order_id from erased_orders)"
    return " or ".join(_identifier_sql(c, t) for c, t in IDENTIFIER_COLUMNS[table].items())


def _files(landing: Path, table: LandingTable) -> list[Path]:
    pattern = table.path
    return sorted(landing.glob(pattern)) + sorted(landing.glob(pattern.rsplit(".", 1)[0] + ".csv"))


def _reader(path: Path) -> str:
    if path.suffix == ".csv":
        return f"read_csv('{path}', all_varchar = true, header = true)"
    return f"read_parquet('{path}')"


def erase_landing(landing: Path, warehouse: Path, apply: bool = False) -> list[FileErasure]:
    """Counts (and with apply=True removes, file by file, atomically) the landed rows of erased persons."""
    con = duckdb.connect()
    set_session_salt(con, pii_salt())
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute(
        "create temp table tombstones as select identifier_type, identifier_value from wh.int_erasure_tombstones"
    )
    con.execute("detach wh")
    order_files = _files(landing, landing_table("commerce", "orders"))
    erased_orders = " union all ".join(
        f"select trim(order_id) as order_id from {_reader(f)} where {erased_condition('commerce.orders')}"
        for f in order_files) or "select cast(null as varchar) as order_id where false"
    con.execute(f"create temp table erased_orders as {erased_orders}")
    results = []
    for table in TABLES:
        name = f"{table.source}.{table.name}"
        condition = erased_condition(name)
        if condition is None:
            continue
        for path in _files(landing, table):
            rows, erased = con.execute(
                f"select count(*), count(*) filter (where {condition}) from {_reader(path)}").fetchone()
            if erased and apply:
                _rewrite(con, path, condition)
            results.append(FileErasure(path, name, rows, erased))
    con.close()
    return results


def _rewrite(con: duckdb.DuckDBPyConnection, path: Path, condition: str) -> None:
    """Writes the file without the erased rows under a temporary name, then swaps it in."""
    tmp = path.with_name(f".{path.name}.erasing")
    options = "(format csv, header true)" if path.suffix == ".csv" else "(format parquet, compression zstd)"
    con.execute(f"copy (select * from {_reader(path)} where not coalesce({condition}, false)) to '{tmp}' {options}")
    os.replace(tmp, path)


def audit(warehouse: Path, results: list[FileErasure], applied: bool, seconds: float) -> None:
    """One row in audit_run_log (created as the build creates it when missing): what the command did."""
    from tailor.warehouse import connect

    con = connect(warehouse, read_only=False)
    try:
        con.execute(
            "create table if not exists audit_run_log (invocation_id varchar, run_started_at timestamp, "
            "node_id varchar, resource_type varchar, status varchar, rows_affected bigint, "
            "execution_time_s double, code_version varchar, erased_persons_applied bigint, "
            "personalization_consented_persons bigint, consent_rule varchar, salt_fingerprint varchar)"
        )
        con.execute("alter table audit_run_log add column if not exists salt_fingerprint varchar")
        persons = con.execute("select count(*) from int_persons_erased").fetchone()[0]
        con.execute(
            "insert into audit_run_log by name select ? as invocation_id, now()::timestamp as run_started_at, "
            "? as node_id, 'operation' as resource_type, ? as status, ? as rows_affected, "
            "? as execution_time_s, ? as code_version, ? as erased_persons_applied, ? as salt_fingerprint",
            [str(uuid.uuid4()), AUDIT_NODE, "applied" if applied else "dry_run",
             sum(r.erased_rows for r in results), round(seconds, 3),
             os.environ.get("TAILOR_CODE_VERSION", "unknown"), persons, salt_fingerprint(pii_salt())],
        )
    finally:
        con.close()


def run_erasure(landing: Path, warehouse: Path, apply: bool) -> list[FileErasure]:
    started = time.perf_counter()
    results = erase_landing(landing, warehouse, apply=apply)
    audit(warehouse, results, apply, time.perf_counter() - started)
    return results
