"""The summary's layer of a relation, read from its name prefix."""

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
