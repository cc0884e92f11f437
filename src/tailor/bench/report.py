"""The benchmark's result as a JSON-ready dict and as a Markdown page; pure functions of measured values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tailor.bench.floor import FloorTiming
from tailor.bench.run_results import (
    NodeTiming,
    running_at,
    seconds_by_layer,
    seconds_by_type,
    status_counts,
    top_models,
)
from tailor.bench.sampler import GIB, MemorySummary

# Goals on the reference machine (2 cores, 24 GiB), per scale: full build seconds, its peak GiB, and the
# incremental build's share of the full build (wall and CPU seconds both checked: the machine is shared, so
# wall time alone can mislead). The overhead ratio applies at every scale.
FULL_BUILD_TARGETS: dict[str, tuple[float, float]] = {"m": (150.0, 4.0), "l": (1500.0, 12.0)}
INCREMENTAL_SHARE_TARGETS: dict[str, float] = {"m": 0.35, "l": 0.10}
OVERHEAD_RATIO_TARGET = 1.3


@dataclass(frozen=True)
class BuildMeasurement:
    """One measured `dbt build`: wall and CPU seconds of the process tree, its memory, the machine's load
    before and after, dbt's exit code, its per-node timings and when it started (epoch seconds; None when
    unknown), which places the memory peak among the nodes."""

    label: str
    wall_seconds: float
    cpu_seconds: float
    memory: MemorySummary
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    exit_code: int
    timings: Sequence[NodeTiming]
    warehouse_bytes: int
    started_epoch: float | None = None

    @property
    def running_at_peak(self) -> list[str]:
        """The nodes dbt was running when the memory peak was sampled (empty when the start is unknown)."""
        if self.started_epoch is None or not self.memory.n_samples:
            return []
        return running_at(self.timings, self.started_epoch + self.memory.peak_at_s)


def build_section(build: BuildMeasurement, rows: int, n_top: int = 15) -> dict[str, Any]:
    """JSON section of one build; `rows` is the raw rows it processed (for rows per second)."""
    return {
        "wall_seconds": round(build.wall_seconds, 2),
        "cpu_seconds": round(build.cpu_seconds, 2),
        "cpu_utilisation": round(build.cpu_seconds / build.wall_seconds, 2) if build.wall_seconds else None,
        "peak_rss_gib": round(build.memory.peak_rss_gib, 3),
        "mean_rss_gib": round(build.memory.mean_rss_bytes / GIB, 3),
        "peak_at_seconds": round(build.memory.peak_at_s, 1),
        "running_at_peak": build.running_at_peak,
        "max_processes": build.memory.max_processes,
        "memory_samples": build.memory.n_samples,
        "load_1m_before": round(build.load_before[0], 2),
        "load_1m_after": round(build.load_after[0], 2),
        "load_1m_mean": round(build.memory.mean_load_1m, 2),
        "load_1m_max": round(build.memory.max_load_1m, 2),
        "exit_code": build.exit_code,
        "status_counts": status_counts(list(build.timings)),
        "seconds_by_type": {key: round(value, 2) for key, value in seconds_by_type(build.timings).items()},
        "seconds_by_layer": {key: round(value, 2) for key, value in seconds_by_layer(build.timings).items()},
        "warehouse_bytes": build.warehouse_bytes,
        "raw_rows": rows,
        "rows_per_second": round(rows / build.wall_seconds) if build.wall_seconds else None,
        "model_seconds": {
            timing.name: round(timing.seconds, 2) for timing in build.timings if timing.resource_type == "model"
        },
        "top_models": [
            {
                "name": timing.name,
                "seconds": round(timing.seconds, 2),
                "materialized": timing.materialized,
                "language": timing.language,
            }
            for timing in top_models(build.timings, n_top)
        ],
        "top_tests": [
            {"name": timing.name, "seconds": round(timing.seconds, 2), "status": timing.status}
            for timing in top_models(build.timings, n_top, resource_type="test")
        ],
    }


def floor_section(floors: Sequence[FloorTiming], als: Mapping[str, float] | None) -> dict[str, Any]:
    """Per-step seconds (bare, dbt alone, in the build) with their ratios, and the overall ratios: summed dbt
    over summed bare, over the comparable steps measured both ways."""

    def overall(numerator: str) -> float | None:
        steps = [floor for floor in floors if floor.is_comparable and getattr(floor, numerator) is not None]
        bare_total = sum(floor.bare_seconds for floor in steps)
        dbt_total = sum(getattr(floor, numerator) for floor in steps)
        return round(dbt_total / bare_total, 3) if bare_total > 0 else None

    return {
        "steps": [
            asdict(floor)
            | {
                "overhead_ratio": _round(floor.overhead_ratio),
                "build_ratio": _round(floor.build_ratio),
            }
            for floor in floors
        ],
        "overall_overhead_ratio": overall("dbt_seconds"),
        "overall_build_ratio": overall("build_seconds"),
        "als": dict(als or {}),
    }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def target_checks(
    scale: str, full: Mapping[str, Any], incremental: Mapping[str, Any] | None, floor: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Each goal that applies at `scale` with the measured value and whether it was met."""
    checks: list[dict[str, Any]] = []
    if scale in FULL_BUILD_TARGETS:
        seconds, gib = FULL_BUILD_TARGETS[scale]
        checks.append(_check("full build seconds", full["wall_seconds"], seconds))
        checks.append(_check("full build peak GiB", full["peak_rss_gib"], gib))
    if incremental is not None and scale in INCREMENTAL_SHARE_TARGETS:
        for measure, label in (("wall_seconds", "incremental / full"), ("cpu_seconds", "incremental / full, CPU")):
            if full[measure]:
                share = incremental[measure] / full[measure]
                checks.append(_check(label, round(share, 3), INCREMENTAL_SHARE_TARGETS[scale]))
    if floor.get("overall_overhead_ratio") is not None:
        checks.append(_check("dbt / bare (floor steps)", floor["overall_overhead_ratio"], OVERHEAD_RATIO_TARGET))
    return checks


def _check(goal: str, measured: float, limit: float) -> dict[str, Any]:
    return {"goal": goal, "measured": measured, "target": limit, "is_met": bool(measured <= limit)}


def _gib(value: int | float) -> str:
    return f"{value / GIB:.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as a Markdown page: builds, goals, slowest models, floor comparison, machine."""
    machine, builds = report["machine"], report["builds"]
    lines = [
        f"# Benchmark: scale `{report['scale']}`, {report['started_at']}",
        "",
        f"Machine: {machine['logical_cores']} cores ({machine['cpu_model']}), {machine['memory_gib']:.1f} GiB "
        f"memory, {machine['platform']}; dbt {machine['dbt_version']}, DuckDB {machine['duckdb_version']}, "
        f"profile target `{report['target']}`"
        + (f", DuckDB memory limit {report['duckdb_memory_limit']}" if report.get("duckdb_memory_limit") else "")
        + f". Raw landed rows: {report['raw_rows']:,}.",
        "",
        *(
            [f"Left out of both builds: {', '.join(f'`{name}`' for name in report['excluded'])}.", ""]
            if report.get("excluded")
            else []
        ),
        "Load average (1 min) before/mean/after each build is shown because the machine may be shared: wall "
        "time above CPU time means the build waited for the processor.",
        "",
    ]
    rows = []
    for label, build in builds.items():
        rows.append(
            [
                label,
                f"{build['wall_seconds']:.1f}",
                f"{build['cpu_seconds']:.1f}",
                f"{build['peak_rss_gib']:.2f}",
                _gib(build["warehouse_bytes"]),
                f"{build['raw_rows']:,}",
                f"{build['rows_per_second']:,}" if build["rows_per_second"] is not None else "",
                f"{build['load_1m_before']:.1f} / {build['load_1m_mean']:.1f} / {build['load_1m_after']:.1f}",
                build["exit_code"],
            ]
        )
    lines += _table(
        ["build", "wall s", "CPU s", "peak GiB", "warehouse GiB", "rows", "rows/s", "load before/mean/after", "exit"],
        rows,
    )
    peaks = [
        f"{label} at {build['peak_at_seconds']:.0f} s, while "
        + ", ".join(f"`{name}`" for name in build["running_at_peak"])
        + " ran"
        for label, build in builds.items()
        if build.get("running_at_peak")
    ]
    if peaks:
        lines += ["", "Memory peak of each build: " + "; ".join(peaks) + "."]
    lines += ["", "## Goals", ""]
    lines += _table(
        ["goal", "measured", "target", "met"],
        [
            [check["goal"], check["measured"], check["target"], "yes" if check["is_met"] else "no"]
            for check in report["targets"]
        ],
    )
    full = builds.get("full")
    if full:
        incremental_seconds = builds.get("incremental", {}).get("model_seconds", {})
        lines += ["", "## Slowest models (full build)", ""]
        lines += _table(
            ["model", "materialized", "language", "full s", "incremental s"],
            [
                [
                    model["name"],
                    model["materialized"],
                    model["language"],
                    f"{model['seconds']:.2f}",
                    incremental_seconds.get(model["name"], ""),
                ]
                for model in full["top_models"]
            ],
        )
        incremental_top = builds.get("incremental", {}).get("top_tests", [])
        incremental_tests = {test["name"]: test["seconds"] for test in incremental_top}
        lines += ["", "## Slowest data tests (full build)", ""]
        lines += _table(
            ["test", "status", "full s", "incremental s (when among its slowest)"],
            [
                [test["name"], test["status"], f"{test['seconds']:.2f}", incremental_tests.get(test["name"], "")]
                for test in full.get("top_tests", [])
            ],
        )
        lines += [
            "",
            "Seconds by node type (summed over threads): "
            + ", ".join(f"{key} {value:.1f}" for key, value in full["seconds_by_type"].items()),
        ]
    lines += _layer_table(builds)
    floor = report.get("floor")
    if floor and floor["steps"]:
        lines += [
            "",
            "## dbt against the floor",
            "",
            "Bare: the compiled SQL in DuckDB (`create table as`, best of two runs), or `implicit` directly on the "
            "training matrix. "
            "dbt alone: the model rebuilt by `dbt run --select` with one thread. In build: the model's time in the "
            "full build, where it shares the cores with dbt's other thread.",
            "",
        ]
        lines += _table(
            ["step", "kind", "bare s", "dbt alone s", "dbt / bare", "in build s", "build / bare", "in overall"],
            [
                [
                    step["name"],
                    step["kind"],
                    _fmt(step["bare_seconds"]),
                    _fmt(step["dbt_seconds"]),
                    _fmt(step["overhead_ratio"]),
                    _fmt(step["build_seconds"]),
                    _fmt(step["build_ratio"]),
                    "yes" if step["is_comparable"] else "no",
                ]
                for step in floor["steps"]
            ],
        )
        lines += [
            "",
            f"Overall, summed over the comparable steps: dbt alone / bare {_fmt(floor['overall_overhead_ratio'])}, "
            f"in build / bare {_fmt(floor['overall_build_ratio'])}.",
        ]
    return "\n".join(lines) + "\n"


def _layer_table(builds: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Thread-seconds per layer, one column per build, layers in the full build's order (then any other)."""
    layered = {label: build["seconds_by_layer"] for label, build in builds.items() if build.get("seconds_by_layer")}
    if not layered:
        return []
    layers: list[str] = []
    for seconds in layered.values():
        layers += [layer for layer in seconds if layer not in layers]
    rows = [[layer, *(_fmt(seconds.get(layer), 1) for seconds in layered.values())] for layer in layers]
    rows.append(["all", *(f"{sum(seconds.values()):.1f}" for seconds in layered.values())])
    return [
        "",
        "## Thread-seconds by layer",
        "",
        "Each node's execution seconds summed per layer (models by folder, SQL and Python together; tests and "
        "hooks by type). Summed over dbt's threads, and inflated by waiting when the machine is shared.",
        "",
        *_table(["layer", *(f"{label} s" for label in layered)], rows),
    ]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"
