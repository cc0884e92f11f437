"""Compare the marts of two builds (two engines, or one engine before and after a change).

Row order is not part of a mart's meaning and engines order differently, so every comparison is
order-independent: each column's values are sorted on their own (a column summary that does not depend
on row order), and the non-float columns are also compared as whole rows (a sorted multiset of rows).
Floats are equal within a stated tolerance, because two engines sum in different orders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Two engines sum and average in different orders: floats are equal when
# |a - b| <= FLOAT_ABS_TOLERANCE + FLOAT_REL_TOLERANCE * |b| (numpy.isclose's rule).
FLOAT_REL_TOLERANCE = 1e-6
FLOAT_ABS_TOLERANCE = 1e-9
# Columns computed from a model fitted in single precision (the ALS factors are float32): a last-bit
# difference in the fit's input grows over the solver's iterations to about 1e-6 relative, so those
# columns, marked `meta: {float_precision: single}` in the mart's yml, are equal within this instead.
SINGLE_PRECISION_REL_TOLERANCE = 1e-5


@dataclass(frozen=True)
class MartDifference:
    mart: str
    column: str | None  # None: the whole mart (missing, row count, row multiset)
    detail: str


@dataclass
class Comparison:
    marts: list[str] = field(default_factory=list)
    differences: list[MartDifference] = field(default_factory=list)
    checksums: dict[str, dict[str, str]] = field(default_factory=dict)  # mart -> column -> checksum of left

    @property
    def equal(self) -> bool:
        return not self.differences


def is_float(series: pd.Series) -> bool:
    """True for floating-point columns (compared within the tolerance)."""
    return pd.api.types.is_float_dtype(series.dtype)


def normalized(series: pd.Series) -> list[str | None]:
    """A column as comparable text: timestamps in UTC ISO form, lists and maps as their sorted text,
    booleans and integers as text; floats are left to the tolerance comparison."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = pd.to_datetime(series, utc=True)
        return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S.%f") for v in values]
    return [canonical_text(v) for v in series.astype(object).tolist()]


def canonical_text(value: object) -> str | None:
    """One text form per value, the same whichever engine's driver produced it."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{canonical_text(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(str(canonical_text(v)) for v in value) + "]"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_convert("UTC") if value.tzinfo else value
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "is_integer") and not isinstance(value, int):  # Decimal
        return format(value, "f").rstrip("0").rstrip(".") if "." in format(value, "f") else format(value, "f")
    return str(value)


def checksum(values: Iterable[str | None]) -> str:
    """Order-independent checksum of a column's text values (sorted, nulls first)."""
    digest = hashlib.sha256()
    for value in sorted(values, key=lambda v: (v is not None, v or "")):
        digest.update(b"\x00" if value is None else value.encode() + b"\x01")
    return digest.hexdigest()[:16]


def float_difference(left: pd.Series, right: pd.Series, rel_tolerance: float = FLOAT_REL_TOLERANCE) -> str | None:
    """Why two float columns differ beyond the tolerance (sorted values compared), or None."""
    a = np.sort(pd.to_numeric(left, errors="coerce").to_numpy(dtype=float))
    b = np.sort(pd.to_numeric(right, errors="coerce").to_numpy(dtype=float))
    return _values_difference(a, b, rel_tolerance, "sorted values")


def float_list_difference(left: pd.Series, right: pd.Series, rel_tolerance: float) -> str | None:
    """Why two columns of float lists differ, element by element within the tolerance, or None. The rows
    must be paired (same order on both sides); a missing list (None, NA: drivers differ) on one side only,
    or a list of another length, is a difference."""
    for position, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        if _is_list(a) != _is_list(b) or (_is_list(a) and len(a) != len(b)):
            return f"row {position}: lists of different shape"
    a = _flat_floats(left)
    b = _flat_floats(right)
    return _values_difference(a, b, rel_tolerance, "list elements")


def is_float_list(series: pd.Series) -> bool:
    """True for a column of lists (or arrays) of floats, such as a model's factors."""
    for value in series.tolist():
        if not _is_list(value):
            if value is None or pd.isna(value):
                continue
            return False
        if len(value) == 0:
            return False
        return all(isinstance(v, float | np.floating) for v in value)
    return False


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def _flat_floats(series: pd.Series) -> np.ndarray:
    values = [v for value in series.tolist() if _is_list(value) for v in value]
    return np.asarray(values, dtype=float)


def _values_difference(a: np.ndarray, b: np.ndarray, rel_tolerance: float, what: str) -> str | None:
    if int(np.isnan(a).sum()) != int(np.isnan(b).sum()):
        return f"nulls {int(np.isnan(a).sum())} vs {int(np.isnan(b).sum())}"
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} {what}"
    close = np.isclose(a, b, rtol=rel_tolerance, atol=FLOAT_ABS_TOLERANCE)
    if close.all():
        return None
    worst = int(np.argmax(np.abs(a - b)))
    return f"{int((~close).sum())} {what} differ beyond tolerance, largest {a[worst]!r} vs {b[worst]!r}"


def float_checksum(series: pd.Series) -> str:
    """A summary of a float column for the report (rounded to 6 significant digits, sorted)."""
    values = pd.to_numeric(series, errors="coerce")
    return checksum(None if pd.isna(v) else f"{v:.6g}" for v in values)


def compare_frames(
    mart: str, left: pd.DataFrame, right: pd.DataFrame, rel_tolerances: Mapping[str, float] | None = None
) -> tuple[list[MartDifference], dict[str, str]]:
    """Every difference between two versions of one mart, and the left side's column checksums.

    `rel_tolerances` gives a column its own relative tolerance (SINGLE_PRECISION_REL_TOLERANCE for columns
    of a single-precision model). Float-list columns are compared element by element once the rows are
    paired by their exact columns, which needs those to identify each row."""
    tolerances = {k.lower(): v for k, v in (rel_tolerances or {}).items()}
    differences: list[MartDifference] = []
    sums: dict[str, str] = {}
    left = left.rename(columns=str.lower)
    right = right.rename(columns=str.lower)
    if len(left) != len(right):
        differences.append(MartDifference(mart, None, f"row count {len(left)} vs {len(right)}"))
    for column in sorted(set(left.columns) ^ set(right.columns)):
        side = "left" if column in left.columns else "right"
        differences.append(MartDifference(mart, column, f"column only on the {side}"))
    shared = [c for c in left.columns if c in right.columns]
    exact: list[str] = []
    float_lists: list[str] = []
    for column in shared:
        floats = is_float(left[column]) or is_float(right[column])
        if floats:
            sums[column] = float_checksum(left[column])
            rel = tolerances.get(column, FLOAT_REL_TOLERANCE)
            if len(left) == len(right) and (why := float_difference(left[column], right[column], rel)):
                differences.append(MartDifference(mart, column, why))
            continue
        if is_float_list(left[column]) and is_float_list(right[column]):
            float_lists.append(column)
            sums[column] = checksum(normalized(left[column]))
            continue
        exact.append(column)
        left_sum, right_sum = checksum(normalized(left[column])), checksum(normalized(right[column]))
        sums[column] = left_sum
        if left_sum != right_sum:
            differences.append(MartDifference(mart, column, f"checksum {left_sum} vs {right_sum}"))
    if exact and len(left) == len(right) and not any(d.column in exact for d in differences):
        rows_left = _row_texts(left[exact])
        rows_right = _row_texts(right[exact])
        if checksum(rows_left) != checksum(rows_right):
            differences.append(MartDifference(mart, None, "same column values but paired differently in rows"))
        elif float_lists:
            differences.extend(
                _paired_list_differences(mart, left, right, rows_left, rows_right, float_lists, tolerances)
            )
    elif float_lists:
        for column in float_lists:
            differences.append(MartDifference(mart, column, "float lists not compared: rows cannot be paired"))
    return differences, sums


def _paired_list_differences(
    mart: str,
    left: pd.DataFrame,
    right: pd.DataFrame,
    rows_left: list[str],
    rows_right: list[str],
    columns: list[str],
    tolerances: Mapping[str, float],
) -> list[MartDifference]:
    """Float-list columns compared row by row, the rows paired by the text of their exact columns."""
    if len(set(rows_left)) != len(rows_left):
        return [MartDifference(mart, c, "float lists not compared: the exact columns repeat rows") for c in columns]
    order_left = np.argsort(np.asarray(rows_left, dtype=object), kind="stable")
    order_right = np.argsort(np.asarray(rows_right, dtype=object), kind="stable")
    differences = []
    for column in columns:
        paired_left = left[column].iloc[order_left].reset_index(drop=True)
        paired_right = right[column].iloc[order_right].reset_index(drop=True)
        rel = tolerances.get(column, FLOAT_REL_TOLERANCE)
        if why := float_list_difference(paired_left, paired_right, rel):
            differences.append(MartDifference(mart, column, why))
    return differences


def _row_texts(frame: pd.DataFrame) -> list[str]:
    columns = [normalized(frame[c]) for c in frame.columns]
    return ["\x1f".join("\x00" if v is None else v for v in row) for row in zip(*columns, strict=True)]


def compare_marts(
    marts: Iterable[str],
    read_left: Callable[[str], pd.DataFrame | None],
    read_right: Callable[[str], pd.DataFrame | None],
    rel_tolerances: Mapping[str, Mapping[str, float]] | None = None,
) -> Comparison:
    """Compare each mart as read by two readers (None: the mart is missing on that side); `rel_tolerances`
    maps mart -> column -> its own relative float tolerance."""
    result = Comparison()
    for mart in sorted(marts):
        result.marts.append(mart)
        left, right = read_left(mart), read_right(mart)
        if left is None or right is None:
            side = "left" if left is None else "right"
            result.differences.append(MartDifference(mart, None, f"missing on the {side}"))
            continue
        differences, sums = compare_frames(mart, left, right, (rel_tolerances or {}).get(mart))
        result.differences.extend(differences)
        result.checksums[mart] = sums
    return result
