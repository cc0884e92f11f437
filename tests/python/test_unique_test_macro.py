"""The DuckDB `unique` test (macros/testing/unique.sql), rendered from the project's macro files and run on
DuckDB: it must return exactly what dbt's own test returns, each repeated value with its row count."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2

ROOT = Path(__file__).resolve().parents[2]


def _unique_test_sql(model: str, column_name: str) -> str:
    macros = (ROOT / "macros/staging/validation.sql").read_text() + (ROOT / "macros/testing/unique.sql").read_text()
    template = jinja2.Environment().from_string(macros + "{{ duckdb__test_unique(model, column_name) }}")
    return template.render(model=model, column_name=column_name)


def _builtin_unique(con: duckdb.DuckDBPyConnection, model: str, column_name: str) -> list[tuple]:
    return con.sql(
        f"select {column_name} as unique_field, count(*) as n_records from {model} "
        f"where {column_name} is not null group by {column_name} having count(*) > 1 order by 1"
    ).fetchall()


def test_reports_every_repeated_value_with_its_count_like_dbts_own_test() -> None:
    con = duckdb.connect()
    con.execute(
        "create table keys as select * from (values ('a', 1), ('b', 1), ('a', 2), (null, 3), (null, 4), "
        "('c', 5), ('c', 6), ('c', 7), ('d', 8)) as rows (key, n)"
    )
    found = con.sql(f"select * from ({_unique_test_sql('keys', 'key')}) order by 1").fetchall()
    assert found == [("a", 2), ("c", 3)] == _builtin_unique(con, "keys", "key")
    # an expression as the column, as dbt allows
    found = con.sql(f"select * from ({_unique_test_sql('keys', 'key || n')}) order by 1").fetchall()
    assert found == [] == _builtin_unique(con, "keys", "key || n")


def test_a_unique_column_passes() -> None:
    con = duckdb.connect()
    con.execute("create table keys as select 'id-' || range as key from range(10000)")
    assert con.sql(_unique_test_sql("keys", "key")).fetchall() == []
