"""The semantic layer (models/marts/_semantic_layer.yml) with dbt-metricflow on DuckDB: `mf validate-configs`
passes against the suite's warehouse, and `mf query` returns what the same measure computed in SQL returns.
dbt-metricflow reads the semantic manifest from target/semantic_manifest.json under the project root (a fixed
path in 0.15), so the suite's manifest is copied there first."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
MF = Path(sys.executable).parent / "mf"


@pytest.fixture(scope="module")
def suite() -> Path:
    warehouse, target = os.environ.get("TAILOR_DUCKDB_PATH"), os.environ.get("TAILOR_TARGET_DIR")
    if not warehouse or not target or not (Path(target) / "semantic_manifest.json").exists():
        pytest.skip("needs the suite's warehouse and target dir (scripts/test.sh)")
    if Path(target).resolve() != (REPO / "target").resolve():
        (REPO / "target").mkdir(exist_ok=True)
        shutil.copyfile(Path(target) / "semantic_manifest.json", REPO / "target" / "semantic_manifest.json")
    return Path(warehouse)


def mf(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TAILOR_TARGET": os.environ.get("TAILOR_TARGET", "ci")}
    return subprocess.run([str(MF), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def mf_csv(tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / "query.csv"
    done = mf("query", *args, "--csv", str(out), "--quiet")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with out.open() as handle:
        return list(csv.DictReader(handle))


def test_mf_validate_configs_passes_including_the_warehouse_checks(suite: Path) -> None:
    done = mf("validate-configs")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Successfully validated metrics against data warehouse (ERRORS: 0" in done.stdout


def test_conversion_rate_per_week_matches_sql(suite: Path, tmp_path: Path) -> None:
    rows = mf_csv(tmp_path, "--metrics", "conversion_rate", "--group-by", "metric_time__week")
    got = {row["metric_time__week"][:10]: float(row["conversion_rate"]) for row in rows}
    con = duckdb.connect(str(suite), read_only=True)
    want = dict(con.execute("""
        select strftime(date_trunc('week', session_start_at), '%Y-%m-%d'),
            sum(case when is_converted then 1 else 0 end) / count(session_id)
        from fct_sessions group by 1
    """).fetchall())
    con.close()
    assert got.keys() == want.keys() and len(got) >= 3
    assert all(abs(got[week] - want[week]) < 1e-9 for week in want)


def test_consented_share_by_purpose_matches_sql(suite: Path, tmp_path: Path) -> None:
    rows = mf_csv(tmp_path, "--metrics", "consented_share", "--group-by", "consent_state__purpose")
    got = {row["consent_state__purpose"]: float(row["consented_share"]) for row in rows}
    con = duckdb.connect(str(suite), read_only=True)
    want = dict(con.execute(
        "select purpose, avg(case when is_granted then 1.0 else 0 end) from int_consent_current group by 1"
    ).fetchall())
    con.close()
    assert got.keys() == want.keys() == {"analytics", "personalization", "marketing"}
    assert all(abs(got[purpose] - want[purpose]) < 1e-9 for purpose in want)
