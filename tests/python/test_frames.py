"""read_frame: the frame `.df()` gives, read through Arrow, for the column types the Python models read."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tailor.frames import read_frame, take_strings

# one column per type, each with and without nulls: the first row has values, the second nulls where the
# column is nullable
SCALAR_COLUMNS = {
    "varchar": ("'a'", "varchar"),
    "boolean": ("true", "boolean"),
    "tinyint": ("-3", "tinyint"),
    "smallint": ("300", "smallint"),
    "integer": ("70000", "integer"),
    "bigint": ("9007199254740993", "bigint"),  # 2**53 + 1: exact only when not routed through float64
    "utinyint": ("200", "utinyint"),
    "usmallint": ("60000", "usmallint"),
    "uinteger": ("4000000000", "uinteger"),
    "ubigint": ("18446744073709551615", "ubigint"),
    "float": ("1.5", "float"),
    "double": ("0.1", "double"),
    "date": ("date '2026-11-27'", "date"),
    "timestamp": ("timestamp '2026-11-27 08:01:08.123456'", "timestamp"),
}


class _ArrowOnly:
    """A relation that refuses `.df()`: proves the Arrow path was taken."""

    def __init__(self, relation: duckdb.DuckDBPyRelation) -> None:
        self._relation = relation
        self.types = relation.types

    def to_arrow_table(self):  # noqa: ANN201 - pyarrow.Table
        return self._relation.to_arrow_table()

    def df(self) -> pd.DataFrame:
        raise AssertionError("read_frame fell back to .df() for types it reads through Arrow")


def _scalar_relation(con: duckdb.DuckDBPyConnection, rows: int) -> duckdb.DuckDBPyRelation:
    """Columns `<type>_full` (never null) and `<type>_nulls` (null on odd rows), `rows` rows."""
    columns = []
    for name, (value, sql_type) in SCALAR_COLUMNS.items():
        columns.append(f"cast({value} as {sql_type}) as {name}_full")
        columns.append(f"case when i % 2 = 0 then cast({value} as {sql_type}) end as {name}_nulls")
    return con.sql(f"select {', '.join(columns)} from range({rows}) as r(i) order by i")


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_scalar_columns_equal_what_df_returns(rows: int) -> None:
    con = duckdb.connect()
    relation = _scalar_relation(con, rows)
    frame = read_frame(_ArrowOnly(relation))
    pd.testing.assert_frame_equal(frame, relation.df(), check_exact=True)
    if rows > 1:
        # the cases Arrow's own conversion gets wrong, spelled out
        assert frame["bigint_nulls"].dtype == pd.Int64Dtype()
        assert frame["bigint_nulls"].iloc[0] == 9007199254740993
        assert frame["boolean_nulls"].dtype == pd.BooleanDtype()
        assert frame["date_nulls"].dtype == np.dtype("datetime64[us]")
        assert frame["date_nulls"].isna().tolist()[:2] == [False, True]


def test_list_columns_come_through_arrow_as_numpy_arrays() -> None:
    con = duckdb.connect()
    relation = con.sql(
        "select * from (values (1, [0.5, 1.5]::double[], ['a', 'b']::varchar[]), (2, null, ['c'])) t(id, f, tags)"
    )
    frame = read_frame(_ArrowOnly(relation))
    assert frame["id"].tolist() == [1, 2]
    np.testing.assert_array_equal(frame["f"].iloc[0], np.array([0.5, 1.5]))
    assert frame["f"].iloc[1] is None
    assert [list(tags) for tags in frame["tags"]] == [["a", "b"], ["c"]]


@pytest.mark.parametrize(
    "expression",
    [
        "cast(1.25 as decimal(18, 9))",
        "interval 1 day",
        "{'x': 1}",
        "time '08:00:00'",
        "cast(1 as hugeint)",
    ],
)
def test_other_types_are_read_with_df(expression: str) -> None:
    con = duckdb.connect()
    relation = con.sql(f"select 'k' as key, {expression} as value from range(2)")
    with pytest.raises(AssertionError, match="fell back"):
        read_frame(_ArrowOnly(relation))
    pd.testing.assert_frame_equal(read_frame(relation), relation.df(), check_exact=True)


@pytest.mark.parametrize(
    "values",
    [
        np.array(["b", "a", None, "ccc"], dtype=object),
        np.array([3, "x", None, 1.5], dtype=object),
        np.array(["only"], dtype=object),
        np.array([], dtype=object),
    ],
)
def test_take_strings_equals_pd_array_of_the_gathered_values(values: np.ndarray) -> None:
    positions = np.array([0, 3, 0, 1, 3, 2] if len(values) else [], dtype=np.int64) % max(len(values), 1)
    taken = take_strings(values, positions)
    expected = pd.array(values[positions], dtype="str")
    assert taken.dtype == expected.dtype
    pd.testing.assert_extension_array_equal(taken, expected)
