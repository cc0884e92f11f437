"""What the last main job used and produced (warehouse, truth, landing, target, dbt target dir, published
folder, report), written by scripts/run.sh and scripts/daily.sh, so that reporting commands run later in a
plain shell find the same environment. Resolution order everywhere: a command-line option, then the
environment variable, then this file, then the built-in default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

STATE_ENV = "TAILOR_STATE_FILE"
DEFAULT_STATE_FILE = "warehouse/last_run.json"
# state key -> the environment variable the main job reads it from
RECORDED: dict[str, str] = {
    "warehouse": "TAILOR_DUCKDB_PATH",
    "truth": "TAILOR_TRUTH",
    "landing": "TAILOR_LANDING",
    "target": "TAILOR_TARGET",
    "target_dir": "TAILOR_TARGET_DIR",
    "published": "TAILOR_PUBLISH_DIR",
    "report": "TAILOR_REPORT_PATH",
    "absent_sources": "TAILOR_ABSENT_SOURCES",
    "code_version": "TAILOR_CODE_VERSION",
}


def state_path(environ: Mapping[str, str] | None = None) -> Path:
    env = environ if environ is not None else os.environ
    return Path(env.get(STATE_ENV) or DEFAULT_STATE_FILE)


def read_state(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The recorded state, or an empty dict when no main job has run here."""
    path = state_path(environ)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def record_state(environ: Mapping[str, str] | None = None, **outcome: str) -> Path:
    """Write the environment of this job (absolute paths) plus `outcome` (e.g. status) to the state file."""
    env = environ if environ is not None else os.environ
    state: dict[str, str] = {}
    for key, name in RECORDED.items():
        value = env.get(name)
        if value:
            is_path = key in {"warehouse", "truth", "landing", "target_dir", "published", "report"}
            state[key] = str(Path(value).resolve()) if is_path else value
    state.update(outcome)
    state["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    path = state_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def resolve(key: str, explicit: str | None = None, default: str | None = None) -> str | None:
    """One setting: the explicit value, else its environment variable, else the state file, else `default`."""
    return explicit or os.environ.get(RECORDED[key]) or read_state().get(key) or default


NO_TRUTH = (
    "no planted truth: it exists only for generated sample data (pass --truth, set TAILOR_TRUTH, or run "
    "scripts/run.sh on the sample, which records it)"
)


def planted_truth(explicit: str | None = None) -> str | None:
    """The planted-truth folder to score against, or None when there is none (a shop's own data)."""
    truth = resolve("truth", explicit)
    return truth if truth and Path(truth).is_dir() else None
