"""The summary's layer of a relation, read from its name prefix."""

from pathlib import Path

import duckdb
import pytest

from tailor.cli import main
from tailor.commands.summary import layer_of


def test_base_tables_belong_to_staging() -> None:
    assert layer_of("base_events__events") == "staging"
    assert layer_of("stg_web__pages") == "staging"


def test_other_prefixes() -> None:
    assert layer_of("int_sessions_sessionized") == "intermediate"
    assert layer_of("fct_sessions") == "marts"
    assert layer_of("dim_customer_profiles") == "marts"
    assert layer_of("snap_customer_profiles") == "snapshots"
    assert layer_of("audit_run_log") == "other"


def test_summary_hides_stored_test_failures_and_ends_with_headline_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table fct_orders as select 1 as order_id, 9.5 as total_amount_usd, false as is_cancelled")
    con.execute("create schema main_dbt_test__audit")
    con.execute("create table main_dbt_test__audit.assert_something_failed as select 1 as failing_row")
    con.close()
    assert main(["summary", "--db", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "assert_something_failed" not in out
    assert "fct_orders" in out
    headline = out.split("\nheadline\n")[1]
    assert "orders" in headline and "9.50" in headline
    assert "persons profiled               unavailable (dim_customer_profiles not built)" in headline
