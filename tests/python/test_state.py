"""Reports find the environment of the last main job (warehouse/last_run.json, tailor.state) and say plainly
when a figure cannot be computed, instead of exiting with `no truth folder` or dropping a line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tailor.cli import main
from tailor.state import read_state, record_state, resolve


def test_recorded_state_is_read_back_below_options_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAILOR_STATE_FILE", str(tmp_path / "state.json"))
    record_state({"TAILOR_STATE_FILE": str(tmp_path / "state.json"), "TAILOR_DUCKDB_PATH": "w/x.duckdb",
                  "TAILOR_TRUTH": str(tmp_path)}, status="published")
    state = read_state()
    assert state["warehouse"] == str(Path("w/x.duckdb").resolve()) and state["status"] == "published"
    monkeypatch.delenv("TAILOR_DUCKDB_PATH", raising=False)
    assert resolve("warehouse") == state["warehouse"]
    monkeypatch.setenv("TAILOR_DUCKDB_PATH", "env.duckdb")
    assert resolve("warehouse") == "env.duckdb"
    assert resolve("warehouse", "option.duckdb") == "option.duckdb"


@pytest.fixture
def suite_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The suite's build recorded as a main job's state, then every TAILOR_* path variable unset (a new shell)."""
    warehouse, truth = os.environ.get("TAILOR_DUCKDB_PATH"), os.environ.get("TAILOR_TRUTH")
    if not warehouse or not truth or not Path(warehouse).exists():
        pytest.skip("needs the suite's warehouse and planted truth (scripts/test.sh)")
    state_file = tmp_path / "last_run.json"
    record_state({"TAILOR_STATE_FILE": str(state_file), "TAILOR_DUCKDB_PATH": warehouse, "TAILOR_TRUTH": truth})
    monkeypatch.setenv("TAILOR_STATE_FILE", str(state_file))
    for name in ("TAILOR_DUCKDB_PATH", "TAILOR_TRUTH"):
        monkeypatch.delenv(name)
    return {"state_file": str(state_file), "truth": truth}


def test_identity_report_finds_the_truth_the_main_job_used(
    suite_run: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["identity-report", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["precision"] > 0.9


def test_without_planted_truth_the_figures_say_unavailable(
    suite_run: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state = json.loads(Path(suite_run["state_file"]).read_text())
    state.pop("truth")
    Path(suite_run["state_file"]).write_text(json.dumps(state))
    assert main(["identity-report"]) == 2
    assert "identity precision and recall: unavailable, no planted truth" in capsys.readouterr().out
    assert main(["segments"]) == 0
    assert "persona agreement (adjusted Rand index): unavailable, no planted truth" in capsys.readouterr().out
