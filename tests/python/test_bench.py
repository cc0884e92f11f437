"""Unit tests of the benchmark's pure parts: dbt artifacts parsing, memory-sample aggregation, the report."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tailor.bench.floor import FloorTiming
from tailor.bench.report import BuildMeasurement, build_section, floor_section, render_markdown, target_checks
from tailor.bench.run_results import (
    heaviest_sql_models,
    load_timings,
    node_layer,
    parse_run_results,
    running_at,
    seconds_by_layer,
    seconds_by_type,
    seconds_of,
    status_counts,
    top_models,
)
from tailor.bench.runner import profile_memory_limit, run_measured, warehouse_bytes, write_report
from tailor.bench.sampler import GIB, Sample, summarize_samples, tree_rss

RUN_RESULTS = {
    "results": [
        {
            "unique_id": "model.tailor.stg_events",
            "status": "success",
            "execution_time": 1.5,
            "compiled_code": "select 1",
            "timing": [
                {"name": "execute", "started_at": "2025-12-31T23:59:58Z", "completed_at": "2025-12-31T23:59:59.5Z"}
            ],
            "relation_name": '"wh"."main"."stg_events"',
        },
        {
            "unique_id": "model.tailor.int_events_unified",
            "status": "success",
            "execution_time": 12.0,
            "compiled_code": "select 2 as x",
        },
        {
            "unique_id": "model.tailor.int_factors",
            "status": "success",
            "execution_time": 30.0,
            "compiled_code": "def model(dbt, session): ...",
            "timing": [
                {"name": "compile", "started_at": "2026-01-01T00:00:00Z", "completed_at": "2026-01-01T00:00:00.5Z"},
                {"name": "execute", "started_at": "2026-01-01T00:00:00.5Z", "completed_at": "2026-01-01T00:00:30Z"},
            ],
        },
        {
            "unique_id": "model.tailor.fct_orders",
            "status": "success",
            "execution_time": 8.0,
            "compiled_code": "select 3",
            "timing": [
                {"name": "execute", "started_at": "2026-01-01T00:00:00.5Z", "completed_at": "2026-01-01T00:00:08.5Z"}
            ],
        },
        {
            "unique_id": "model.tailor.fct_broken",
            "status": "error",
            "execution_time": 50.0,
            "compiled_code": "select 4",
        },
        {
            "unique_id": "model.tailor.int_small",
            "status": "success",
            "execution_time": 8.0,
            "compiled_code": "select 5",
        },
        {"unique_id": "test.tailor.unique_stg_events_event_id.abc", "status": "pass", "execution_time": 4.0},
        {"unique_id": "seed.tailor.event_weights", "status": "success", "execution_time": 0.5},
        {"unique_id": "model.tailor.not_run", "status": "skipped", "execution_time": None},
    ]
}
MANIFEST = {
    "nodes": {
        "model.tailor.stg_events": {
            "language": "sql",
            "config": {"materialized": "view"},
            "original_file_path": "models/staging/events/stg_events.sql",
        },
        "model.tailor.int_events_unified": {
            "language": "sql",
            "config": {"materialized": "incremental"},
            "original_file_path": "models/intermediate/events/int_events_unified.sql",
        },
        "model.tailor.int_factors": {
            "language": "python",
            "config": {"materialized": "table"},
            "original_file_path": "python_models/intermediate/recommendations/int_factors.py",
        },
        "model.tailor.fct_orders": {
            "language": "sql",
            "config": {"materialized": "table"},
            "original_file_path": "models/marts/commerce/fct_orders.sql",
        },
        "model.tailor.fct_broken": {"language": "sql", "config": {"materialized": "table"}},
        "model.tailor.int_small": {"language": "sql", "config": {"materialized": "table"}},
    }
}


def test_parse_run_results_joins_the_manifest_and_names_nodes() -> None:
    timings = parse_run_results(RUN_RESULTS, MANIFEST)
    assert [timing.name for timing in timings][:2] == ["stg_events", "int_events_unified"]
    unified = timings[1]
    assert (unified.resource_type, unified.language, unified.materialized, unified.seconds) == (
        "model",
        "sql",
        "incremental",
        12.0,
    )
    assert timings[0].relation_name == '"wh"."main"."stg_events"'
    assert timings[6].resource_type == "test" and timings[6].language == ""
    assert timings[-1].seconds == 0.0  # a skipped node has no execution time


def test_parse_run_results_without_a_manifest_leaves_language_empty() -> None:
    timings = parse_run_results(RUN_RESULTS)
    assert all(timing.language == "" and timing.materialized == "" for timing in timings)


def test_top_models_ranks_models_only_with_a_stable_order_on_ties() -> None:
    top = top_models(parse_run_results(RUN_RESULTS, MANIFEST), n=5)
    assert [timing.name for timing in top] == [
        "fct_broken",
        "int_factors",
        "int_events_unified",
        "fct_orders",
        "int_small",
    ]


def test_heaviest_sql_models_skip_python_views_and_failures() -> None:
    heaviest = heaviest_sql_models(parse_run_results(RUN_RESULTS, MANIFEST), n=3)
    assert [timing.name for timing in heaviest] == ["int_events_unified", "fct_orders", "int_small"]


def test_totals_statuses_and_lookup() -> None:
    timings = parse_run_results(RUN_RESULTS, MANIFEST)
    assert seconds_by_type(timings) == {"model": 109.5, "seed": 0.5, "test": 4.0}
    assert status_counts(timings) == {"error": 1, "pass": 1, "skipped": 1, "success": 6}
    assert seconds_of(timings, "fct_orders") == 8.0
    assert seconds_of(timings, "unique_stg_events_event_id") is None  # tests are not models
    assert seconds_of(timings, "not_run") is None and seconds_of(timings, "fct_broken") is None


def test_node_layer_groups_models_by_folder_and_the_rest_by_type() -> None:
    assert node_layer("model", "models/staging/events/base/base_events__events.sql") == "staging"
    assert node_layer("model", "models/intermediate/events/int_events_identified.sql") == "intermediate/events"
    assert node_layer("model", "python_models/intermediate/events/int_x.py") == "intermediate/events"
    assert node_layer("model", "models/marts/behavior/fct_sessions.sql") == "marts/behavior"
    assert node_layer("model", "models/top_level.sql") == "model"  # no layer folder
    assert node_layer("model", "") == "model"  # no manifest
    assert node_layer("test", "tests/singular/x.sql") == "data tests"
    assert node_layer("operation", "") == "hooks"


def test_seconds_by_layer_sums_per_layer_largest_first() -> None:
    by_layer = seconds_by_layer(parse_run_results(RUN_RESULTS, MANIFEST))
    assert by_layer == {
        "model": 58.0,  # fct_broken, int_small and not_run have no manifest path
        "intermediate/recommendations": 30.0,
        "intermediate/events": 12.0,
        "marts/commerce": 8.0,
        "data tests": 4.0,
        "staging": 1.5,
        "seeds": 0.5,
    }


def test_running_at_places_an_instant_among_the_nodes() -> None:
    timings = parse_run_results(RUN_RESULTS, MANIFEST)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    factors = next(timing for timing in timings if timing.name == "int_factors")
    assert (factors.started_at, factors.completed_at) == (start, start + 30.0)
    assert running_at(timings, start + 1.0) == ["int_factors", "fct_orders"]
    assert running_at(timings, start - 1.0) == ["stg_events"]
    assert running_at(timings, start + 31.0) == []  # nodes without a timing never match


def test_load_timings_reads_a_target_folder(tmp_path: Path) -> None:
    assert load_timings(tmp_path) == []
    (tmp_path / "run_results.json").write_text(json.dumps(RUN_RESULTS))
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    assert load_timings(tmp_path)[2].language == "python"


def test_load_timings_of_a_cut_short_artifact_are_empty(tmp_path: Path) -> None:
    """A run_results.json cut short (the disk filled as dbt wrote it) costs the per-node tables, not the
    build's measurements."""
    text = json.dumps(RUN_RESULTS)
    (tmp_path / "run_results.json").write_text(text[: len(text) // 2])
    assert load_timings(tmp_path) == []


def test_summarize_samples_finds_the_peak_and_the_load() -> None:
    samples = [Sample(0.0, 100, 1, 2.0), Sample(0.2, 300, 2, 4.0), Sample(0.4, 200, 3, 3.0)]
    summary = summarize_samples(samples)
    assert (summary.peak_rss_bytes, summary.peak_at_s, summary.max_processes, summary.n_samples) == (300, 0.2, 3, 3)
    assert summary.mean_rss_bytes == pytest.approx(200.0)
    assert (summary.mean_load_1m, summary.max_load_1m) == (pytest.approx(3.0), 4.0)
    assert summary.peak_rss_gib == pytest.approx(300 / GIB)


def test_summarize_no_samples_is_all_zero() -> None:
    summary = summarize_samples([])
    assert (summary.peak_rss_bytes, summary.n_samples, summary.mean_load_1m) == (0, 0, 0.0)


def test_tree_rss_sums_a_process_and_its_children() -> None:
    import psutil

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        me = psutil.Process(os.getpid())
        rss, count = tree_rss(me)
        assert count >= 2
        assert rss > me.memory_info().rss
    finally:
        child.kill()
        child.wait()


def test_run_measured_reports_exit_code_cpu_and_samples(tmp_path: Path) -> None:
    busy = "import sys; sum(i * i for i in range(3_000_000)); sys.exit(3)"
    exit_code, wall, cpu, samples = run_measured(
        [sys.executable, "-c", busy], dict(os.environ), tmp_path, tmp_path / "log.txt", 0.01
    )
    assert exit_code == 3
    assert wall > 0 and cpu > 0
    assert samples and all(sample.rss_bytes > 0 for sample in samples)


def _build(
    label: str, wall: float, peak_gib: float, exit_code: int = 0, started_epoch: float | None = None
) -> BuildMeasurement:
    timings = parse_run_results(RUN_RESULTS, MANIFEST)
    samples = [Sample(0.0, int(peak_gib * GIB / 2), 1, 1.0), Sample(1.0, int(peak_gib * GIB), 1, 3.0)]
    return BuildMeasurement(
        label,
        wall,
        wall * 0.9,
        summarize_samples(samples),
        (1.0, 1.0, 1.0),
        (2.0, 2.0, 2.0),
        exit_code,
        timings,
        5 * 1024**2,
        started_epoch,
    )


def test_build_section_rows_per_second_and_top_models() -> None:
    section = build_section(_build("full", 100.0, 2.0), rows=1_000_000, n_top=2)
    assert section["rows_per_second"] == 10_000
    assert section["peak_rss_gib"] == pytest.approx(2.0)
    assert [model["name"] for model in section["top_models"]] == ["fct_broken", "int_factors"]
    assert section["model_seconds"]["fct_orders"] == 8.0
    assert section["load_1m_mean"] == 2.0
    assert section["cpu_utilisation"] == pytest.approx(0.9)
    assert section["running_at_peak"] == []  # start of the build unknown
    assert section["top_tests"] == [{"name": "unique_stg_events_event_id", "seconds": 4.0, "status": "pass"}]


def test_build_section_names_the_nodes_running_at_the_memory_peak() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    section = build_section(_build("full", 100.0, 2.0, started_epoch=start), rows=1)  # peak sampled at 1.0 s
    assert section["running_at_peak"] == ["int_factors", "fct_orders"]


def test_floor_timing_ratios() -> None:
    floor = FloorTiming("a", "sql table", bare_seconds=10.0, dbt_seconds=11.0, build_seconds=25.0)
    assert floor.overhead_ratio == pytest.approx(1.1)
    assert floor.build_ratio == pytest.approx(2.5)
    assert FloorTiming("b", "sql", bare_seconds=0.0, dbt_seconds=1.0).overhead_ratio is None
    assert FloorTiming("c", "sql", bare_seconds=1.0, dbt_seconds=None).build_ratio is None


def test_floor_section_averages_comparable_steps_only() -> None:
    floors = [
        FloorTiming("a", "sql table", bare_seconds=10.0, dbt_seconds=12.0, build_seconds=20.0),
        FloorTiming("b", "sql table", bare_seconds=5.0, dbt_seconds=6.0, build_seconds=10.0),
        FloorTiming("c", "python", bare_seconds=1.0, dbt_seconds=9.0, is_comparable=False),
        FloorTiming("d", "python", bare_seconds=1.0, dbt_seconds=None),
    ]
    section = floor_section(floors, {"fit_seconds": 1.0})
    assert section["overall_overhead_ratio"] == pytest.approx(18.0 / 15.0, abs=1e-3)
    assert section["overall_build_ratio"] == pytest.approx(2.0)
    assert [step["overhead_ratio"] for step in section["steps"]] == [1.2, 1.2, 9.0, None]
    assert section["steps"][0]["build_ratio"] == 2.0
    assert section["als"] == {"fit_seconds": 1.0}


def test_target_checks_apply_per_scale() -> None:
    full = build_section(_build("full", 200.0, 3.0), rows=10)
    incremental = build_section(_build("incremental", 20.0, 1.0), rows=1)
    floor = {"overall_overhead_ratio": 1.25}
    checks = {check["goal"]: check for check in target_checks("m", full, incremental, floor)}
    assert not checks["full build seconds"]["is_met"]
    assert checks["full build peak GiB"]["is_met"]
    assert checks["incremental / full"]["measured"] == 0.1 and checks["incremental / full"]["is_met"]
    assert checks["incremental / full, CPU"]["measured"] == 0.1 and checks["incremental / full, CPU"]["is_met"]
    at_l = {check["goal"]: check for check in target_checks("l", full, incremental, floor)}
    assert at_l["incremental / full"]["target"] == 0.10 and at_l["incremental / full"]["is_met"]
    assert checks["dbt / bare (floor steps)"]["is_met"]
    assert [check["goal"] for check in target_checks("sample", full, None, {})] == []


def _report() -> dict:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    full = build_section(_build("full", 100.0, 2.0, started_epoch=start), rows=1_000_000)
    incremental = build_section(_build("incremental", 12.0, 1.5), rows=10_000)
    floor = floor_section([FloorTiming("int_events_unified", "sql incremental", 10.0, 12.0, 15.0)], {})
    return {
        "scale": "m",
        "started_at": "2026-01-02T03:04:05Z",
        "target": "dev",
        "excluded": ["assert_flaky"],
        "machine": {
            "logical_cores": 2,
            "cpu_model": "Test CPU",
            "memory_gib": 24.0,
            "platform": "Linux",
            "dbt_version": "1.11.0",
            "duckdb_version": "2.0.0",
        },
        "raw_rows": 1_000_000,
        "builds": {"full": full, "incremental": incremental},
        "floor": floor,
        "targets": target_checks("m", full, incremental, floor),
    }


def test_render_markdown_has_the_tables() -> None:
    markdown = render_markdown(_report())
    assert markdown.startswith("# Benchmark: scale `m`, 2026-01-02T03:04:05Z")
    assert "2 cores (Test CPU), 24.0 GiB" in markdown
    assert "Left out of both builds: `assert_flaky`." in markdown
    assert "| full | 100.0 | 90.0 | 2.00 | 0.00 | 1,000,000 | 10,000 | 1.0 / 2.0 / 2.0 | 0 |" in markdown
    assert "Memory peak of each build: full at 1 s, while `int_factors`, `fct_orders` ran." in markdown
    assert "| full build seconds | 100.0 | 150.0 | yes |" in markdown
    assert "| fct_broken | table | sql | 50.00 | 50.0 |" in markdown
    assert "| unique_stg_events_event_id | pass | 4.00 | 4.0 |" in markdown
    assert "| int_events_unified | sql incremental | 10.00 | 12.00 | 1.20 | 15.00 | 1.50 | yes |" in markdown
    assert "| layer | full s | incremental s |" in markdown
    assert "| intermediate/recommendations | 30.0 | 30.0 |" in markdown
    assert "| all | 114.0 | 114.0 |" in markdown


def test_write_report_names_files_by_scale_and_start(tmp_path: Path) -> None:
    report = _report()
    json_path, markdown_path = write_report(report, tmp_path, render_markdown(report))
    assert json_path == tmp_path / "m" / "20260102T030405Z.json"
    assert json.loads(json_path.read_text())["builds"]["full"]["raw_rows"] == 1_000_000
    assert markdown_path.read_text().startswith("# Benchmark")


def test_warehouse_bytes_counts_the_wal(tmp_path: Path) -> None:
    database = tmp_path / "wh.duckdb"
    database.write_bytes(b"x" * 10)
    Path(f"{database}.wal").write_bytes(b"y" * 5)
    assert warehouse_bytes(database) == 15
    assert warehouse_bytes(tmp_path / "missing.duckdb") == 0


def test_profile_memory_limit_is_read_from_the_profile(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(
        "tailor:\n"
        "  outputs:\n"
        "    dev:\n"
        "      settings:\n"
        "        memory_limit: \"{{ env_var('TAILOR_MEMORY_LIMIT', '3GB') }}\"\n"
        "    big:\n"
        "      settings:\n"
        "        memory_limit: 12GB\n"
        "    bare:\n"
        "      threads: 1\n"
    )
    assert profile_memory_limit(tmp_path, "dev") == "3GB"
    assert profile_memory_limit(tmp_path, "big") == "12GB"
    assert profile_memory_limit(tmp_path, "bare") is None
