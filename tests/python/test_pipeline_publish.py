"""Safe publishing with a concurrent BI reader, end to end on the built warehouse.

A reader process holds the published file open while a new `dbt build` writes the build warehouse and
`tailor publish` swaps in a new version: the build succeeds, the reader keeps seeing one consistent old
version, and a fresh reader sees the new one. The built warehouse (TAILOR_DUCKDB_PATH) is copied first, so
the shared build is never written; the dbt target dir of that build (TAILOR_TARGET_DIR) says what to publish.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tailor.publish import PUBLISHED_DB, check_build, mart_relations, publish

REPO = Path(__file__).resolve().parents[2]
# Cheap to rebuild, and a var that changes what it holds: with marketing granted by default, persons
# without any consent record join the audience, so the new version differs from the old one.
SELECTION = "int_consent_current fct_marketing_audience"
CHANGED_VARS = '{"consent_purposes_granted_by_default": ["marketing"]}'
CHANGED_TABLE = "fct_marketing_audience"
STEP_TIMEOUT_S = 600

# A BI reader: opens the published file read-only, prints what it sees, waits for a line on stdin (the
# build and publish happen meanwhile), prints again on the same connection, then exits.
READER = r"""
import json, sys
import duckdb

def snapshot(con):
    version = con.execute("select version from _publication").fetchone()[0]
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_name != '_publication' order by 1"
    ).fetchall()]
    counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    return {"version": version, "counts": counts}

con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps(snapshot(con)), flush=True)
if sys.argv[2:] == ["hold"]:
    sys.stdin.readline()
    print(json.dumps(snapshot(con)), flush=True)
con.close()
"""


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set")
    return Path(value)


def _tool(name: str) -> str:
    """A console script from the interpreter's own environment (the project venv), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _read_once(database: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READER, str(database)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.splitlines()[0])


def test_reader_sees_one_version_while_build_and_publish_run(tmp_path: Path) -> None:
    built = _env_path("TAILOR_DUCKDB_PATH")
    target = _env_path("TAILOR_TARGET_DIR")
    if not built.exists() or not (target / "manifest.json").exists():
        pytest.skip(f"no built warehouse at {built} or no dbt manifest in {target}")
    check_build(target)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built, warehouse)
    out = tmp_path / "published"
    tables = mart_relations(target / "manifest.json")
    assert CHANGED_TABLE in tables
    first = publish(warehouse, out, tables, version="v1")

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(out / PUBLISHED_DB), "hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        before = json.loads(reader.stdout.readline())
        assert before["version"] == "v1"

        # a new build into the build warehouse while the reader holds the published file
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(REPO / "profiles")),
            "TAILOR_DUCKDB_PATH": str(warehouse),
        }
        new_target = tmp_path / "target"
        build = subprocess.run(
            [_tool("dbt"), "build", "--select", SELECTION, "--vars", CHANGED_VARS, "--target", "ci",
             "--target-path", str(new_target), "--log-path", str(tmp_path / "logs")],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S,
        )  # fmt: skip
        assert build.returncode == 0, (
            f"the build failed while a reader held the published file:\n{build.stdout[-4000:]}"
        )
        check_build(new_target)
        # the same marts as before: this is about the swap, not about marts added in between
        second = publish(warehouse, out, tables, version="v2")

        reader.stdin.write("again\n")
        reader.stdin.flush()
        during = json.loads(reader.stdout.readline())
        assert reader.wait(timeout=120) == 0, reader.stderr.read()
    finally:
        if reader.poll() is None:
            reader.kill()

    # the open reader saw the old version, whole: same version id, same tables, same row counts
    assert during == before
    assert not first.parquet_dir.exists(), "the previous Parquet version is removed once the new one is complete"
    assert second.parquet_dir.exists() and (out / "parquet").resolve() == second.parquet_dir.resolve()

    fresh = _read_once(out / PUBLISHED_DB)
    assert fresh["version"] == "v2"
    assert set(fresh["counts"]) == set(before["counts"])
    assert fresh["counts"][CHANGED_TABLE] > before["counts"][CHANGED_TABLE], "the new version is not visible"
