"""Per-node timings from dbt's artifacts: `run_results.json` (what ran, how long) joined to `manifest.json`
(language and materialization), so the report can rank models and pick SQL ones for the floor."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NodeTiming:
    """One executed node: its id, short name, type, status, seconds, when it started and ended (epoch
    seconds over its compile and execute steps; None when dbt recorded no step) and, for models, language
    and materialization (empty when the manifest does not say)."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    seconds: float
    language: str = ""
    materialized: str = ""
    relation_name: str = ""
    compiled_code: str = ""
    started_at: float | None = None
    completed_at: float | None = None
    layer: str = ""


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def _span(steps: Sequence[Mapping[str, Any]]) -> tuple[float | None, float | None]:
    """(first start, last end) of a result's timing steps, in epoch seconds."""
    starts = [_epoch(step["started_at"]) for step in steps if step.get("started_at")]
    ends = [_epoch(step["completed_at"]) for step in steps if step.get("completed_at")]
    return (min(starts) if starts else None, max(ends) if ends else None)


def _short_name(unique_id: str) -> str:
    """A node's name: the last part of its unique id, but a data test's name without dbt's hash suffix."""
    parts = unique_id.split(".")
    return parts[2] if parts[0] == "test" and len(parts) > 3 else parts[-1]


def _node_info(manifest: Mapping[str, Any] | None, unique_id: str) -> Mapping[str, Any]:
    if not manifest:
        return {}
    return manifest.get("nodes", {}).get(unique_id, {})


# Where a node's time is counted in the per-layer table, by its resource type when not by its file's folder.
TYPE_LAYERS: dict[str, str] = {
    "test": "data tests",
    "unit_test": "unit tests",
    "operation": "hooks",
    "seed": "seeds",
    "snapshot": "snapshots",
}
MODEL_FOLDERS: tuple[str, ...] = ("models", "python_models")


def node_layer(resource_type: str, original_file_path: str) -> str:
    """The layer a node's time counts in: staging as one; intermediate and marts by their domain folder
    (SQL and Python models alike, e.g. `intermediate/events`); tests, hooks, seeds and snapshots by type."""
    if resource_type in TYPE_LAYERS:
        return TYPE_LAYERS[resource_type]
    parts = original_file_path.split("/")
    if len(parts) < 3 or parts[0] not in MODEL_FOLDERS:
        return resource_type
    if parts[1] == "staging" or len(parts) < 4:
        return parts[1]
    return f"{parts[1]}/{parts[2]}"


def parse_run_results(run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None = None) -> list[NodeTiming]:
    """Every result as a NodeTiming, in the artifact's order, named by `_short_name`."""
    timings = []
    for result in run_results.get("results", []):
        unique_id = str(result["unique_id"])
        node = _node_info(manifest, unique_id)
        started_at, completed_at = _span(result.get("timing") or [])
        timings.append(
            NodeTiming(
                unique_id=unique_id,
                name=_short_name(unique_id),
                resource_type=unique_id.split(".")[0],
                status=str(result.get("status", "")),
                seconds=float(result.get("execution_time") or 0.0),
                language=str(node.get("language") or ""),
                materialized=str(node.get("config", {}).get("materialized") or ""),
                relation_name=str(result.get("relation_name") or ""),
                compiled_code=str(result.get("compiled_code") or ""),
                started_at=started_at,
                completed_at=completed_at,
                layer=node_layer(unique_id.split(".")[0], str(node.get("original_file_path") or "")),
            )
        )
    return timings


def load_timings(target_path: Path) -> list[NodeTiming]:
    """Timings of the last dbt command that wrote into `target_path`; empty when it wrote none, or when the
    artifact cannot be read (dbt killed, or the disk full, while writing it), so that the build's wall time,
    CPU time and memory, measured from outside, are still reported."""
    results_file = target_path / "run_results.json"
    if not results_file.exists():
        return []
    try:
        run_results = json.loads(results_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    manifest_file = target_path / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else None
    return parse_run_results(run_results, manifest)


def top_models(timings: Iterable[NodeTiming], n: int = 15, resource_type: str = "model") -> list[NodeTiming]:
    """The `n` slowest models (or other nodes of `resource_type`); ties by name, so the order is stable."""
    nodes = [timing for timing in timings if timing.resource_type == resource_type]
    return sorted(nodes, key=lambda timing: (-timing.seconds, timing.name))[:n]


def heaviest_sql_models(timings: Iterable[NodeTiming], n: int = 3) -> list[NodeTiming]:
    """The `n` slowest SQL models that built a relation from a query (tables and incrementals, not views)."""
    candidates = [
        timing
        for timing in top_models(timings, n=10**6)
        if timing.language == "sql"
        and timing.materialized in ("table", "incremental")
        and timing.status == "success"
        and timing.compiled_code.strip()
    ]
    return candidates[:n]


def running_at(timings: Iterable[NodeTiming], epoch: float) -> list[str]:
    """Names of the nodes that were running at `epoch` (epoch seconds), longest-running first."""
    running = [
        timing
        for timing in timings
        if timing.started_at is not None
        and timing.completed_at is not None
        and timing.started_at <= epoch <= timing.completed_at
    ]
    return [timing.name for timing in sorted(running, key=lambda timing: (-timing.seconds, timing.name))]


def seconds_by_type(timings: Iterable[NodeTiming]) -> dict[str, float]:
    """Summed execution seconds per resource type (model, test, seed, snapshot, ...)."""
    totals: dict[str, float] = {}
    for timing in timings:
        totals[timing.resource_type] = totals.get(timing.resource_type, 0.0) + timing.seconds
    return dict(sorted(totals.items()))


def seconds_by_layer(timings: Iterable[NodeTiming]) -> dict[str, float]:
    """Summed execution seconds per layer (`node_layer`), largest first; ties by name."""
    totals: dict[str, float] = {}
    for timing in timings:
        totals[timing.layer] = totals.get(timing.layer, 0.0) + timing.seconds
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def status_counts(timings: Sequence[NodeTiming]) -> dict[str, int]:
    """How many nodes ended in each status (success, pass, fail, error, warn, skipped)."""
    counts: dict[str, int] = {}
    for timing in timings:
        counts[timing.status] = counts.get(timing.status, 0) + 1
    return dict(sorted(counts.items()))


def seconds_of(timings: Iterable[NodeTiming], name: str) -> float | None:
    """Execution seconds of the model called `name`, or None when it did not run successfully."""
    for timing in timings:
        if timing.resource_type == "model" and timing.name == name and timing.status == "success":
            return timing.seconds
    return None
