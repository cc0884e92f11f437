"""Runs the benchmark: cached data, a private copy, a measured full `dbt build`, the floor comparison, one
more landed day and a measured incremental build; returns the report dict (see tailor.bench.report)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psutil
import yaml

from tailor.bench.floor import FloorTiming, time_als, time_sql
from tailor.bench.report import BuildMeasurement, build_section, floor_section, target_checks
from tailor.bench.run_results import heaviest_sql_models, load_timings, seconds_of
from tailor.bench.sampler import GIB, TreeSampler, summarize_samples
from tailor.recommend.settings import RecsSettings

Progress = Callable[[str], None]
DATA_PARTS: tuple[str, ...] = ("landing", "pending", "truth")
ALS_FIT_MODEL = "int_recommendation_factors_fitted"
RECOMMEND_MODEL = "int_recommendations_scored"
# The third build `--unchanged` adds: a daily run's fixed cost, what it spends when nothing new landed.
UNCHANGED_BUILD = "unchanged"
# The limit the benchmark gives DuckDB at a scale (unless TAILOR_MEMORY_LIMIT is set), and the models it runs
# at once (unless TAILOR_THREADS is set). At `l` two threads with 10 GB put the recommender's Python models
# beside a large DuckDB query and the kernel killed the build at 24 GB resident; alone, with 6 GB, they ran.
# DuckDB keeps table blocks cached up to its limit and Python models allocate beside that cache: with 6 GB the
# full build peaked at 13.06 GiB (2714.8 s), with 4 GB at 10.91 GiB and ran faster (2473.3 s).
SCALE_MEMORY_LIMITS = {"l": "4GB"}
SCALE_THREADS = {"l": "1"}


@dataclass(frozen=True)
class BenchOptions:
    """What to run: the scale, the repository root, the cached data root, where to work and write results."""

    scale: str
    root: Path
    data_dir: Path
    work_dir: Path
    results_dir: Path
    target: str = "dev"
    sample_interval_s: float = 0.2
    n_top: int = 15
    n_floor_models: int = 3
    run_incremental: bool = True
    run_unchanged: bool = False
    run_floor: bool = True
    keep_data: bool = False
    exclude: tuple[str, ...] = ()


def _bin(name: str) -> str:
    """An executable of the running environment (the venv's dbt and tailor), else whatever is on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def ensure_data(options: BenchOptions, progress: Progress) -> None:
    """Generate the scale's data once; later runs reuse it (the landing folder's _SUCCESS marks it done)."""
    if (options.data_dir / "landing" / options.scale / "_SUCCESS").exists():
        return
    progress(f"generating {options.scale} data under {options.data_dir} (once)")
    subprocess.run(
        [_bin("tailor"), "generate", "--scale", options.scale, "--out", str(options.data_dir), "--quiet"], check=True
    )


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link files of `dt=` partition folders, copy the rest.

    Partition files are never rewritten (landing a day adds new folders), so a link saves copying the bulk of
    the data (7.7 GB at `l`); snapshots, the manifest and the truth files are rewritten in place by
    `tailor land-day` and must be real copies, or the cached data would change."""
    if Path(source).parent.name.startswith("dt="):
        try:
            os.link(source, target)
            return
        except OSError:  # another filesystem, or links not supported
            pass
    shutil.copy2(source, target)


def copy_data(scale: str, data_dir: Path, work_data: Path) -> None:
    """Copy the landing, pending and truth folders, so landing a day never touches the cached data."""
    for part in DATA_PARTS:
        source = data_dir / part / scale
        if source.exists():
            shutil.copytree(source, work_data / part / scale, copy_function=_link_or_copy)


def raw_row_count(landing: Path) -> int:
    """Raw landed rows over every landing table (parquet footers only)."""
    from tailor.generator.output import count_rows

    return sum(count_rows(landing).values())


def warehouse_bytes(path: Path) -> int:
    """Size on disk of the warehouse file and its write-ahead log."""
    return sum(candidate.stat().st_size for candidate in (path, Path(f"{path}.wal")) if candidate.exists())


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    command: Sequence[str], env: Mapping[str, str], cwd: Path, log_file: Path, interval_s: float
) -> tuple[int, float, float, list]:
    """Run `command` to completion: (exit code, wall seconds, CPU seconds of its tree, RSS samples).

    CPU time comes from the kernel's accounting of waited-for children, so short-lived grandchildren count."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    with log_file.open("w") as log:
        process = subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        with TreeSampler(process.pid, interval_s) as sampler:
            exit_code = process.wait()
    wall = time.perf_counter() - started
    return exit_code, wall, _children_cpu_seconds() - cpu_before, sampler.samples


def dbt_env(options: BenchOptions, landing: Path, truth: Path, warehouse: Path) -> dict[str, str]:
    """The environment of the benchmarked dbt: private landing copy, warehouse file and target."""
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(options.root / "profiles"),
            "TAILOR_LANDING": str(landing),
            "TAILOR_TRUTH": str(truth),
            "TAILOR_DUCKDB_PATH": str(warehouse),
            "TAILOR_TARGET": options.target,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    if "TAILOR_MEMORY_LIMIT" not in env and options.scale in SCALE_MEMORY_LIMITS:
        env["TAILOR_MEMORY_LIMIT"] = SCALE_MEMORY_LIMITS[options.scale]
    if "TAILOR_THREADS" not in env and options.scale in SCALE_THREADS:
        env["TAILOR_THREADS"] = SCALE_THREADS[options.scale]
    return env


def measure_build(label: str, options: BenchOptions, env: Mapping[str, str], warehouse: Path) -> BuildMeasurement:
    """One `dbt build` into its own target folder, measured from outside the process."""
    target_path = options.work_dir / f"target_{label}"
    command = [
        _bin("dbt"),
        "build",
        "--target",
        options.target,
        "--project-dir",
        str(options.root),
        "--target-path",
        str(target_path),
        "--log-path",
        str(options.work_dir / f"logs_{label}"),
        "--no-use-colors",
        *(["--exclude", *options.exclude] if options.exclude else []),
    ]
    load_before = os.getloadavg()
    started_epoch = time.time()
    exit_code, wall, cpu, samples = run_measured(
        command, env, options.root, options.work_dir / f"dbt_{label}.log", options.sample_interval_s
    )
    return BuildMeasurement(
        label=label,
        wall_seconds=wall,
        cpu_seconds=cpu,
        memory=summarize_samples(samples),
        load_before=load_before,
        load_after=os.getloadavg(),
        exit_code=exit_code,
        timings=load_timings(target_path),
        warehouse_bytes=warehouse_bytes(warehouse),
        started_epoch=started_epoch,
    )


def profile_memory_limit(root: Path, target: str) -> str | None:
    """The DuckDB memory limit profiles/profiles.yml gives `target` when TAILOR_MEMORY_LIMIT is unset: the
    default of its env_var() call, or the value itself; None when the target sets no limit."""
    profile = yaml.safe_load((root / "profiles" / "profiles.yml").read_text())
    setting = profile["tailor"]["outputs"][target].get("settings", {}).get("memory_limit")
    if setting is None:
        return None
    default = re.search(r"env_var\(\s*'TAILOR_MEMORY_LIMIT'\s*,\s*'([^']+)'\s*\)", str(setting))
    return default.group(1) if default else str(setting)


def duckdb_settings(options: BenchOptions, env: Mapping[str, str]) -> dict[str, object]:
    """The session settings profiles/profiles.yml gives the target in `env`, so the floor runs under the same
    limits as the build."""
    settings: dict[str, object] = {"preserve_insertion_order": False}
    memory_limit = env.get("TAILOR_MEMORY_LIMIT") or profile_memory_limit(options.root, options.target)
    if memory_limit:
        settings["memory_limit"] = memory_limit
    return settings


def project_vars(root: Path) -> dict[str, Any]:
    """The project's `vars: tailor:` block from dbt_project.yml (the recommender's settings: `recommendations`)."""
    project = yaml.safe_load((root / "dbt_project.yml").read_text())
    return dict(project.get("vars", {}).get("tailor", {}) or {})


def isolated_model_seconds(options: BenchOptions, env: Mapping[str, str], names: Sequence[str]) -> dict[str, float]:
    """Seconds of each named model rebuilt alone by dbt (one thread, full refresh, its own target folder)."""
    target_path = options.work_dir / "target_floor"
    command = [
        _bin("dbt"),
        "run",
        "--select",
        *names,
        "--full-refresh",
        "--threads",
        "1",
        "--target",
        options.target,
        "--project-dir",
        str(options.root),
        "--target-path",
        str(target_path),
        "--log-path",
        str(options.work_dir / "logs_floor"),
        "--no-use-colors",
    ]
    run_measured(command, env, options.root, options.work_dir / "dbt_floor.log", options.sample_interval_s)
    return {
        timing.name: timing.seconds
        for timing in load_timings(target_path)
        if timing.resource_type == "model" and timing.status == "success"
    }


def measure_floor(
    options: BenchOptions, full: BuildMeasurement, env: Mapping[str, str], warehouse: Path, progress: Progress
) -> tuple[list[FloorTiming], dict[str, float]]:
    """Bare DuckDB for the heaviest SQL models and bare implicit for the ALS step, against the same models
    rebuilt alone by dbt and against their time in the full build."""
    settings = duckdb_settings(options, env)
    heaviest = heaviest_sql_models(full.timings, options.n_floor_models)
    has_als = seconds_of(full.timings, ALS_FIT_MODEL) is not None
    bare: dict[str, float] = {}
    for timing in heaviest:
        progress(f"floor: {timing.name} in bare DuckDB")
        bare[timing.name] = time_sql(warehouse, timing.name, timing.compiled_code, settings, repeats=2)
    als: dict[str, float] = {}
    if has_als:
        progress("floor: ALS fit and recommend with bare implicit")
        recs = RecsSettings.from_mapping(project_vars(options.root).get("recommendations"))
        als = time_als(
            warehouse,
            factors=recs.cf.factors,
            regularization=recs.cf.regularization,
            iterations=recs.cf.iterations,
            alpha=recs.cf.alpha,
            top_n=recs.hybrid.n,
            random_state=recs.cf.random_state,
            settings=settings,
        )
    names = [timing.name for timing in heaviest] + ([ALS_FIT_MODEL] if has_als else [])
    progress(f"floor: the same models rebuilt alone by dbt ({', '.join(names)})")
    alone = isolated_model_seconds(options, env, names) if names else {}
    floors = [
        FloorTiming(
            timing.name, f"sql {timing.materialized}", bare[timing.name], alone.get(timing.name), timing.seconds
        )
        for timing in heaviest
    ]
    if has_als:
        floors.append(
            FloorTiming(
                ALS_FIT_MODEL,
                "python: ALS fit",
                als["read_seconds"] + als["fit_seconds"],
                alone.get(ALS_FIT_MODEL),
                seconds_of(full.timings, ALS_FIT_MODEL),
            )
        )
        floors.append(
            FloorTiming(
                RECOMMEND_MODEL,
                "python: top-N (the model also blends content and fallbacks)",
                als["recommend_seconds"],
                None,
                seconds_of(full.timings, RECOMMEND_MODEL),
                is_comparable=False,
            )
        )
    return floors, als


def machine_info() -> dict[str, Any]:
    """Cores, memory, CPU model and tool versions of the machine the numbers came from."""
    from importlib.metadata import version

    import duckdb

    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu_model = models[0] if models else ""
    return {
        "logical_cores": os.cpu_count() or 0,
        "physical_cores": psutil.cpu_count(logical=False) or 0,
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "cpu_model": cpu_model or platform.processor(),
        "platform": platform.platform(terse=True),
        "python_version": platform.python_version(),
        "dbt_version": version("dbt-core"),
        "duckdb_version": duckdb.__version__,
    }


def run_bench(options: BenchOptions, progress: Progress) -> dict[str, Any]:
    """The whole benchmark; returns the report (also written by `write_report`)."""
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ensure_data(options, progress)
    if options.work_dir.exists():
        shutil.rmtree(options.work_dir)
    work_data = options.work_dir / "data"
    progress(f"copying {options.scale} data to {work_data}")
    copy_data(options.scale, options.data_dir, work_data)
    landing, truth = work_data / "landing" / options.scale, work_data / "truth" / options.scale
    warehouse = options.work_dir / "warehouse.duckdb"
    env = dbt_env(options, landing, truth, warehouse)
    raw_rows = raw_row_count(landing)

    progress(f"full build ({raw_rows:,} raw rows)")
    full = measure_build("full", options, env, warehouse)
    progress(f"full build: {full.wall_seconds:.1f} s wall, {full.cpu_seconds:.1f} s CPU, exit {full.exit_code}")
    builds = {"full": build_section(full, raw_rows, options.n_top)}

    floor: dict[str, Any] = {}
    if options.run_floor:
        try:
            floor = floor_section(*measure_floor(options, full, env, warehouse, progress))
        except duckdb.Error as error:  # a model the floor reads was not built: report the builds anyway
            progress(f"floor comparison failed: {error}")

    landed_day = None
    if options.run_incremental:
        landed = subprocess.run(
            [_bin("tailor"), "land-day", "--scale", options.scale, "--out", str(work_data)],
            capture_output=True,
            text=True,
            check=False,
        )
        if landed.returncode == 0:
            landed_day = landed.stdout.splitlines()[0].removeprefix("landed dt=").strip()
            new_rows = raw_row_count(landing) - raw_rows
            progress(f"incremental build after landing {landed_day} ({new_rows:,} new raw rows)")
            incremental = measure_build("incremental", options, env, warehouse)
            builds["incremental"] = build_section(incremental, new_rows, options.n_top)
            progress(f"incremental build: {incremental.wall_seconds:.1f} s wall, exit {incremental.exit_code}")
            if options.run_unchanged:
                progress("unchanged build: the same command again, nothing new landed")
                unchanged = measure_build(UNCHANGED_BUILD, options, env, warehouse)
                builds[UNCHANGED_BUILD] = build_section(unchanged, 0, options.n_top)
                progress(f"unchanged build: {unchanged.wall_seconds:.1f} s wall, exit {unchanged.exit_code}")
        else:
            progress(f"no incremental build: land-day failed: {landed.stderr.strip()}")

    if not options.keep_data:
        shutil.rmtree(work_data, ignore_errors=True)
    return {
        "scale": options.scale,
        "started_at": started_at.isoformat().replace("+00:00", "Z"),
        "target": options.target,
        "duckdb_memory_limit": duckdb_settings(options, env).get("memory_limit"),
        "excluded": list(options.exclude),
        "machine": machine_info(),
        "raw_rows": raw_rows,
        "landed_day": landed_day,
        "builds": builds,
        "floor": floor,
        "targets": target_checks(options.scale, builds["full"], builds.get("incremental"), floor),
    }


def write_report(report: Mapping[str, Any], results_dir: Path, markdown: str) -> tuple[Path, Path]:
    """bench_results/<scale>/<timestamp>.json and .md; the timestamp is the run's start (UTC)."""
    stamp = report["started_at"].replace("-", "").replace(":", "")
    folder = results_dir / report["scale"]
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = folder / f"{stamp}.json", folder / f"{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    markdown_path.write_text(markdown)
    return json_path, markdown_path
