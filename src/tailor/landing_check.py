"""Preflight of a landing folder against the landing contract (tailor.landing): every folder, file, column
and type a build reads, checked in seconds and reported all at once, before dbt spends minutes failing.

Sources a shop does not have are declared in TAILOR_ABSENT_SOURCES (comma or space separated); the build
reads them as empty (macros/staging/absent_sources.sql) and this check skips them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tailor.landing import TABLES, LandingTable

ABSENT_SOURCES_ENV = "TAILOR_ABSENT_SOURCES"
FORMAT_ENV_PREFIX = "TAILOR_FORMAT_"
FORMATS = ("parquet", "csv")
# Types a reader widens or narrows losslessly for the project's casts: any integer for INTEGER, any
# floating or decimal number for DOUBLE.
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "INTEGER": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"),
    "DOUBLE": ("DOUBLE", "FLOAT", "REAL", "DECIMAL"),
}


@dataclass(frozen=True)
class Finding:
    source: str
    table: str
    location: str  # the folder or file pattern the finding is about
    problem: str


def absent_sources(environ: Mapping[str, str] | None = None) -> set[str]:
    """The sources declared absent in TAILOR_ABSENT_SOURCES."""
    value = (environ if environ is not None else os.environ).get(ABSENT_SOURCES_ENV, "")
    return {name for name in value.replace(",", " ").lower().split() if name}


def source_formats(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each source's landing format from TAILOR_FORMAT_<SOURCE> (parquet by default)."""
    env = environ if environ is not None else os.environ
    sources = {table.source for table in TABLES}
    return {s: env.get(FORMAT_ENV_PREFIX + s.upper(), "parquet").strip().lower() or "parquet" for s in sources}


def type_matches(expected: str, actual: str) -> bool:
    """True when a landed column type is what the contract names, or in the same lossless family."""
    base = actual.upper().split("(")[0]
    return base in TYPE_FAMILIES.get(expected.upper(), (expected.upper(),))


def landed_columns(pattern: str, file_format: str) -> dict[str, str]:
    """Column name -> type of the files matching `pattern`, read the way the sources read them."""
    con = duckdb.connect()
    try:
        if file_format == "csv":
            reader = f"read_csv('{pattern}', union_by_name = true, all_varchar = true)"
        else:
            reader = f"read_parquet('{pattern}', union_by_name = true)"
        rows = con.execute(f"describe select * from {reader}").fetchall()
    finally:
        con.close()
    return {row[0]: row[1] for row in rows}


def check_table(root: Path, table: LandingTable, file_format: str) -> list[Finding]:
    """Findings for one contract table: missing folder, no files, unreadable files, missing or mistyped columns."""
    pattern = table.path if file_format == "parquet" else table.path.removesuffix(".parquet") + ".csv"
    folder = root / table.folder

    def finding(location: str, problem: str) -> Finding:
        return Finding(table.source, table.name, location, problem)

    if not folder.is_dir():
        return [finding(table.folder + "/", "folder missing")]
    if not any(root.glob(pattern)):
        return [finding(pattern, f"no {file_format} files")]
    try:
        landed = landed_columns(str(root / pattern), file_format)
    except duckdb.Error as error:
        return [finding(pattern, f"unreadable: {str(error).splitlines()[0]}")]
    found = []
    for column, expected in table.columns.items():
        if column not in landed:
            found.append(finding(pattern, f"column {column} missing"))
        elif file_format == "parquet" and not type_matches(expected, landed[column]):
            found.append(finding(pattern, f"column {column} is {landed[column]}, the contract says {expected}"))
    return found


def check_landing(root: Path, absent: Collection[str] = (), formats: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding for the landing folder `root`, skipping the absent sources; empty when the build can read it."""
    formats = formats or {}
    bad_formats = [Finding(s, "*", f"{FORMAT_ENV_PREFIX}{s.upper()}", f"format {f!r} is not one of {FORMATS}")
                   for s, f in sorted(formats.items()) if f not in FORMATS]
    if bad_formats:
        return bad_formats
    if not root.is_dir():
        return [Finding("*", "*", str(root), "landing folder missing (set TAILOR_LANDING to your exports)")]
    found = []
    for table in TABLES:
        if table.source not in absent:
            found.extend(check_table(root, table, formats.get(table.source, "parquet")))
    return found


def render_findings(root: Path, findings: list[Finding], absent: Collection[str]) -> str:
    """One screen: what is wrong where, and the two ways to fix it."""
    lines = [f"landing folder: {root}"]
    if absent:
        lines.append(f"declared absent ({ABSENT_SOURCES_ENV}): {', '.join(sorted(absent))}")
    if not findings:
        checked = sum(1 for table in TABLES if table.source not in absent)
        lines.append(f"ok: {checked} tables match the landing contract")
        return "\n".join(lines)
    lines.append(f"{len(findings)} problem(s):")
    width = max(len(f"{f.source}.{f.table}") for f in findings)
    for f in findings:
        lines.append(f"  {f.source + '.' + f.table:<{width}}  {f.location}: {f.problem}")
    missing_sources = sorted({f.source for f in findings if f.problem == "folder missing"})
    lines.append('fix: land the files as "The landing contract" in README.md lays out (src/tailor/landing.py)')
    if missing_sources:
        lines.append(
            f"  or, for a source your shop does not have: export {ABSENT_SOURCES_ENV}={','.join(missing_sources)}"
        )
    return "\n".join(lines)
