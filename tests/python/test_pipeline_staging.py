"""Pipeline checks of the staging layer against the generator's planted truth.

Run after `dbt build` on generated data: TAILOR_DUCKDB_PATH names the built warehouse, TAILOR_TRUTH the
truth folder of the same dataset (manifest.json, dirty_rows.parquet). Every planted dirty row must be
quarantined under the reason it was planted with, and nothing else may be.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tailor import landing
from tailor.warehouse import connect

# Landing table -> (clean staging model, its key column). The quarantine model is '<model>_quarantine'.
STAGING: dict[str, tuple[str, str]] = {
    "crm.contacts": ("stg_crm__contacts", "contact_id"),
    "web.pages": ("stg_web__pages", "page_view_id"),
    "web.identifies": ("stg_web__identifies", "identify_id"),
    "events.events": ("stg_events__events", "event_id"),
    "commerce.orders": ("stg_commerce__orders", "order_id"),
    "commerce.order_items": ("stg_commerce__order_items", "order_item_id"),
    "catalog.products": ("stg_catalog__products", "product_id"),
    "support.tickets": ("stg_support__tickets", "ticket_id"),
    "privacy.consent_events": ("stg_privacy__consent_events", "consent_event_id"),
    "privacy.erasure_requests": ("stg_privacy__erasure_requests", "request_id"),
    "experiments.assignments": ("stg_experiments__assignments", "assignment_id"),
}
TABLES = sorted(STAGING)
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

_missing = [name for name in ("TAILOR_DUCKDB_PATH", "TAILOR_TRUTH") if not os.environ.get(name)]
pytestmark = pytest.mark.skipif(
    bool(_missing),
    reason=f"pipeline check: set {' and '.join(_missing)} (a dbt-built warehouse and its planted truth)",
)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(os.environ["TAILOR_DUCKDB_PATH"])
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth_dir() -> Path:
    return Path(os.environ["TAILOR_TRUTH"])


@pytest.fixture(scope="module")
def landed_dirty_rows(truth_dir: Path) -> pd.DataFrame:
    """Planted dirty rows that have landed (held-back days are in the truth but not in the landing yet)."""
    return landed(pd.read_parquet(truth_dir / "dirty_rows.parquet"), end_date(truth_dir))


def end_date(truth_dir: Path) -> str:
    """The last landed day, ISO date text."""
    return json.loads((truth_dir / "manifest.json").read_text())["end_date"]


def landed(dirty_rows: pd.DataFrame, last_day: str) -> pd.DataFrame:
    """Dirty rows whose arrival day is on or before the last landed day."""
    return dirty_rows[dirty_rows["dt"].isna() | (dirty_rows["dt"] <= last_day)]


def reason_counts(frame: pd.DataFrame) -> dict[str, int]:
    """{reason: rows} of a frame with a `reason` column."""
    return {str(k): int(v) for k, v in frame.groupby("reason").size().items()}


def keys_in(con: duckdb.DuckDBPyConnection, model: str, key: str, values: list[str]) -> dict[str, int]:
    """How many rows of `model` hold each of `values` in `key` (values absent from the model are left out)."""
    if not values:
        return {}
    wanted = pd.DataFrame({"key_value": values})
    con.register("wanted_keys", wanted)
    try:
        rows = con.execute(
            f"select {key}, count(*) from {model} where {key} in (select key_value from wanted_keys) group by 1"
        ).fetchall()
    finally:
        con.unregister("wanted_keys")
    return {str(k): int(n) for k, n in rows}


def test_every_landing_table_is_checked() -> None:
    assert sorted(f"{t.source}.{t.name}" for t in landing.TABLES) == TABLES


@pytest.mark.parametrize("table", TABLES)
def test_quarantine_holds_exactly_the_planted_rows(
    warehouse: duckdb.DuckDBPyConnection, landed_dirty_rows: pd.DataFrame, table: str
) -> None:
    model, _ = STAGING[table]
    expected = reason_counts(landed_dirty_rows[landed_dirty_rows["table"] == table])
    query = f"select quarantine_reason, count(*) from {model}_quarantine group by 1"
    got = dict(warehouse.execute(query).fetchall())
    # the records of erased persons that passed every check (a planted dirty row of one keeps its reason)
    got.pop("erased", None)
    assert got == expected, f"{model}_quarantine: reasons {got}, planted {expected}"


@pytest.mark.parametrize("table", TABLES)
def test_planted_dirty_keys_stay_out_of_the_clean_model(
    warehouse: duckdb.DuckDBPyConnection, landed_dirty_rows: pd.DataFrame, table: str
) -> None:
    model, key = STAGING[table]
    rows = landed_dirty_rows[landed_dirty_rows["table"] == table]
    dirty = rows[rows["key_value"].notna() & ~rows["reason"].str.startswith("duplicate_")]
    leaked = keys_in(warehouse, model, key, dirty["key_value"].tolist())
    assert not leaked, f"{model} holds planted dirty keys: {sorted(leaked)[:10]}"


@pytest.mark.parametrize("table", TABLES)
def test_duplicated_keys_are_kept_exactly_once(
    warehouse: duckdb.DuckDBPyConnection, landed_dirty_rows: pd.DataFrame, table: str
) -> None:
    model, key = STAGING[table]
    rows = landed_dirty_rows[landed_dirty_rows["table"] == table]
    duplicated = sorted(set(rows.loc[rows["reason"].str.startswith("duplicate_"), "key_value"].dropna()))
    counts = keys_in(warehouse, model, key, duplicated)
    wrong = {k: counts.get(k, 0) for k in duplicated if counts.get(k, 0) != 1}
    assert not wrong, f"{model}: duplicated keys not kept exactly once (key: copies kept): {wrong}"


@pytest.mark.parametrize("table", TABLES)
def test_no_raw_email_in_staging_outputs(warehouse: duckdb.DuckDBPyConnection, table: str) -> None:
    """Emails leave staging only as hashes or '[email]' tokens, in the clean and the quarantine model."""
    model, _ = STAGING[table]
    for relation in (model, f"{model}_quarantine"):
        columns = [
            name
            for name, data_type in warehouse.execute(
                "select column_name, data_type from information_schema.columns where table_name = ?",
                [relation],
            ).fetchall()
            if data_type == "VARCHAR"
        ]
        for column in columns:
            found = warehouse.execute(
                f"select count(*) from {relation} where regexp_matches({column}, ?)", [EMAIL_PATTERN]
            ).fetchall()[0][0]
            assert found == 0, f"{relation}.{column} holds {found} raw email addresses"


def test_implausible_birthdates_are_nulled_and_flagged(warehouse: duckdb.DuckDBPyConnection, truth_dir: Path) -> None:
    """Exactly the contacts given a birthdate outside ages 0-120 (in the future, or before 1890) have no birth
    year and are flagged; every other birth year stays as landed."""
    planted = json.loads((truth_dir / "manifest.json").read_text()).get("implausible_birthdate_contact_ids")
    if not planted:
        pytest.skip("the truth plants no implausible birthdate")
    flagged = warehouse.sql(
        "select contact_id, birth_year from stg_crm__contacts where is_birthdate_implausible order by 1"
    ).fetchall()
    assert flagged == [(contact_id, None) for contact_id in sorted(planted)]
    years = warehouse.sql("select min(birth_year), max(birth_year) from stg_crm__contacts").fetchall()[0]
    assert years[0] > 1900 and years[1] < 2026


def test_the_latest_version_of_an_order_wins_and_earlier_ones_are_history(
    warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    """Orders landed twice, first as delivered and then (later updated_at) as refunded: the refund is the
    order in staging, fct_orders and the profile's monetary value; the earlier version is history, not a
    quarantined duplicate, and raw = clean + history + quarantine still holds."""
    planted = json.loads((truth_dir / "manifest.json").read_text()).get("refunded_order_versions")
    if not planted:
        pytest.skip("the truth plants no earlier order version")
    warehouse.execute("create or replace temp table planted_versions as select unnest(?::varchar[]) as order_id",
                      [planted])
    current = warehouse.sql(
        "select order_id, order_status, is_refunded from fct_orders "
        "where order_id in (select order_id from planted_versions) order by 1"
    ).fetchall()
    assert current == [(order_id, "refunded", True) for order_id in sorted(planted)]
    history = warehouse.sql(
        "select history.order_id, history.order_status, history.updated_at < clean.updated_at "
        "from stg_commerce__orders_history as history inner join stg_commerce__orders as clean using (order_id) "
        "order by 1"
    ).fetchall()
    assert [order_id for order_id, _, _ in history] == sorted(planted)
    assert all(status != "refunded" and is_earlier for _, status, is_earlier in history), history
    quarantined = warehouse.sql(
        "select count(*) from stg_commerce__orders_quarantine where order_id in (select order_id from planted_versions)"
    ).fetchall()[0][0]
    assert quarantined == 0
    counts = warehouse.sql(
        "select (select count(*) from stg_commerce__orders), (select count(*) from stg_commerce__orders_history), "
        "(select count(*) from stg_commerce__orders_quarantine)"
    ).fetchall()[0]
    raw = json.loads((truth_dir / "manifest.json").read_text())["row_counts"]["commerce.orders"]
    assert sum(counts) == raw
    # a refund known by the as-of date earns nothing: the person's monetary value leaves the order out
    unearned = warehouse.sql(
        """
        select count(*) from fct_orders as orders
        inner join int_persons_rfm_scored as rfm using (person_id)
        where orders.order_id in (select order_id from planted_versions)
          and rfm.monetary_usd > (
              select sum(o.total_amount_usd) from fct_orders as o
              where o.person_id = orders.person_id and not o.is_cancelled
          ) - orders.total_amount_usd + 0.005
        """
    ).fetchall()[0][0]
    assert unearned == 0
