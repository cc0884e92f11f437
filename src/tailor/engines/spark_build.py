"""`dbt build` of the whole project on the local Spark target, Python models included.

One process, one Spark session: the session is opened first with the `spark` target's settings, and dbt
(dbt-spark's `session` method, run in-process through dbtRunner) finds it already running, so the Python
models and dbt share one JVM and one Derby metastore. The build follows tailor.engines.stages: dbt builds
each stage's SQL nodes and tests (selected by fully qualified name), this module runs the stage's Python
models (tailor.engines.spark_models). Snapshots are left out: a local Spark's Parquet tables cannot merge.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tailor.engines.stages import Stage, plan_stages, selector

SNAPSHOTS_SKIPPED = (
    "snapshots skipped: the local Spark target stores Parquet tables, which cannot merge "
    "(dbt snapshots need Delta, Iceberg or Hudi; they run on the databricks target)"
)


@dataclass
class BuildResult:
    """What a staged build did: dbt's node statuses, the Python models' row counts, and the failures."""

    statuses: dict[str, str] = field(default_factory=dict)
    python_rows: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for status in self.statuses.values():
            totals[status] = totals.get(status, 0) + 1
        return totals


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process and its waited-for children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(value) for value in fields[11:15]) / ticks


def child_cpu_seconds() -> float:
    """CPU seconds of this process's live children (the Spark JVM, which `time` does not count: it is not
    waited for before this process exits)."""
    total = 0.0
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                total += process_cpu_seconds(int(pid))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return total


def dbt_args(command: str, target: str, target_path: str, extra: list[str]) -> list[str]:
    return [command, "--target", target, "--target-path", target_path, *extra]


def run_dbt_stage(
    runner: Any, stage: Stage, manifest: dict[str, Any], base: list[str], seconds: dict[str, float]
) -> dict[str, str]:
    """dbt builds exactly the stage's nodes (no indirect test selection: the stage lists its tests); each
    node's execution time is added to `seconds` under its resource type."""
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    selection = [selector(nodes[unique_id]) for unique_id in stage.unique_ids]
    outcome = runner.invoke([*base, "--select", *selection, "--indirect-selection", "empty"])
    statuses: dict[str, str] = {}
    for result in getattr(outcome.result, "results", None) or []:
        statuses[result.node.unique_id] = str(result.status)
        kind = result.node.resource_type
        seconds[kind] = seconds.get(kind, 0.0) + float(result.execution_time or 0.0)
    if outcome.exception is not None:
        statuses["dbt"] = f"error: {outcome.exception}"
    return statuses


def spark_build(
    project_dir: Path,
    target: str = "spark",
    target_path: str = "target",
    full_refresh: bool = False,
    keep_going: bool = False,
    from_stage: int = 0,
    test_kinds: frozenset[str] | None = None,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Parses the project for `target`, then builds it stage by stage on the local Spark session. A failure
    stops the build after its stage (later stages read what failed), unless `keep_going`. `from_stage`
    resumes a build whose earlier stages are already built (development). `test_kinds` keeps only those
    tests (tailor.engines.stages.kind_of_test; None: all of them), for a quicker check of every model."""
    from dbt.cli.main import dbtRunner

    from tailor.engines.spark_models import run_python_model
    from tailor.engines.spark_session import local_session

    session = local_session()
    parsed = dbtRunner().invoke(dbt_args("parse", target, target_path, []))
    if not parsed.success:
        raise RuntimeError(f"dbt parse failed: {parsed.exception}")
    runner = dbtRunner(manifest=parsed.result)
    manifest = json.loads((project_dir / target_path / "manifest.json").read_text())
    project = manifest["metadata"].get("project_name") or "tailor"
    plan = plan_stages(manifest, project, skip_types=frozenset({"snapshot"}), test_kinds=test_kinds)
    log(SNAPSHOTS_SKIPPED)
    if test_kinds is not None:
        log(f"tests run: only {', '.join(sorted(test_kinds)) or 'none'} (every model and seed is built)")
    extra = ["--full-refresh"] if full_refresh else []
    if test_kinds is not None and "unit" not in test_kinds:
        extra += ["--exclude-resource-type", "unit_test"]  # dbt selects a model's unit tests with the model
    base = dbt_args("build", target, target_path, extra)
    result = BuildResult()
    for stage in (stage for stage in plan if stage.number >= from_stage):
        started = time.perf_counter()
        if stage.kind == "python":
            for unique_id in stage.unique_ids:
                node = manifest["nodes"][unique_id]
                model_started = time.perf_counter()
                try:
                    rows = run_python_model(session, project_dir, node, manifest, full_refresh)
                except Exception as error:  # reported with the model's name; the build stops after the stage
                    result.statuses[unique_id] = "error"
                    result.failures.append(f"{node['name']}: {type(error).__name__}: {error}")
                    log(f"python {node['name']}: ERROR {type(error).__name__}: {error}")
                    continue
                result.statuses[unique_id] = "success"
                result.python_rows[node["name"]] = rows
                elapsed = time.perf_counter() - model_started
                result.seconds["python model"] = result.seconds.get("python model", 0.0) + elapsed
                log(f"python {node['name']}: {rows} rows in {elapsed:.1f} s")
        else:
            statuses = run_dbt_stage(runner, stage, manifest, base, result.seconds)
            result.statuses.update(statuses)
            failed = [u for u, status in statuses.items() if status not in ("success", "pass", "warn")]
            result.failures.extend(f"{u}: {statuses[u]}" for u in failed)
        log(
            f"stage {stage.number} {stage.kind}: {len(stage.unique_ids)} nodes in {time.perf_counter() - started:.1f} s"
        )
        if result.failures and not keep_going:
            log("stopping: later stages read what failed here")
            break
    return result
