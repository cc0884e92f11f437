"""`tailor spark-build`: the whole dbt build on the local Spark target, the Python models run in-process."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "spark-build",
        help="dbt build on the local Spark target, running the Python models on the same session (README Engines)",
    )
    parser.add_argument("--target", default="spark", help="a dbt-spark `session` target of profiles.yml")
    parser.add_argument("--target-path", default="target", help="dbt's target folder (manifest, run results)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument("--keep-going", action="store_true", help="run every stage even after a failure")
    parser.add_argument("--from-stage", type=int, default=0, help="resume: skip the stages numbered below this")
    parser.add_argument(
        "--tests",
        default="all",
        help="comma-separated kinds of tests to run: generic test names (unique, not_null, raw_rows_reconciled, "
        "...), `singular`, `unit`; `all` (default) or `none`. Every model and seed is built either way",
    )
    parser.set_defaults(func=run)


def parse_test_kinds(option: str) -> frozenset[str] | None:
    """The --tests option as the set of test kinds to keep (None: all)."""
    if option.strip() == "all":
        return None
    return frozenset(kind.strip() for kind in option.split(",") if kind.strip() and kind.strip() != "none")


def run(args: argparse.Namespace) -> int:
    import os
    import time

    from tailor.engines.spark_build import child_cpu_seconds, spark_build

    started = time.perf_counter()
    result = spark_build(
        Path.cwd(),
        args.target,
        args.target_path,
        full_refresh=args.full_refresh,
        keep_going=args.keep_going,
        from_stage=args.from_stage,
        test_kinds=parse_test_kinds(args.tests),
    )
    counts = ", ".join(f"{status}={count}" for status, count in sorted(result.counts().items()))
    print(f"spark-build: {counts}; {len(result.python_rows)} Python models")
    spent = ", ".join(f"{kind} {seconds:.0f} s" for kind, seconds in sorted(result.seconds.items()))
    print(f"time by node type (summed node times): {spent}")
    own = os.times()
    print(
        f"wall {time.perf_counter() - started:.0f} s; CPU: this process {own.user + own.system:.0f} s, "
        f"Spark JVM {child_cpu_seconds():.0f} s; load average {os.getloadavg()[0]:.2f}"
    )
    for failure in result.failures:
        print(f"FAILED {failure}")
    return 0 if result.ok else 1
