"""The on-run-end audit hook records every node of the build and the privacy state it applied."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tailor.warehouse import connect

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TAILOR_DUCKDB_PATH") and os.environ.get("TAILOR_TARGET_DIR")),
    reason="TAILOR_DUCKDB_PATH and TAILOR_TARGET_DIR name the built warehouse and its dbt target folder",
)


def test_last_build_is_fully_audited() -> None:
    run_results = json.loads((Path(os.environ["TAILOR_TARGET_DIR"]) / "run_results.json").read_text())
    invocation = run_results["metadata"]["invocation_id"]
    # The hook itself is in run_results but cannot audit its own run.
    results = run_results["results"]
    expected = {r["unique_id"]: r["status"] for r in results if not r["unique_id"].startswith("operation.")}
    con = connect(os.environ["TAILOR_DUCKDB_PATH"])
    rows = con.execute(
        """
        select node_id, status, erased_persons_applied, personalization_consented_persons, consent_rule,
            code_version
        from audit_run_log where invocation_id = ?
        """,
        [invocation],
    ).fetchall()
    erased = con.execute("select count(*) from int_persons_erased").fetchone()[0]
    con.close()
    assert {node: status for node, status, *_ in rows} == expected
    assert all(r[2] == erased for r in rows), "audit rows record the erasure state the run applied"
    assert all(r[3] is not None and r[3] > 0 for r in rows)
    assert all("most restrictive" in r[4] for r in rows)
    assert all(r[5] for r in rows)
