"""`tailor bench --scale {sample,m,l}`: speed and memory of the full and the incremental dbt build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="time a full and an incremental dbt build at a scale; write bench_results/<scale>/"
    )
    parser.add_argument("--scale", choices=["tiny", "sample", "m", "l"], default="sample")
    parser.add_argument("--data", default="data", help="cached generated data (generated once when missing)")
    parser.add_argument("--work", default="bench_results/tmp", help="scratch folder: data copy, warehouse, targets")
    parser.add_argument("--results", default="bench_results", help="where <scale>/<timestamp>.json and .md go")
    parser.add_argument("--target", default="dev", help="profile target of the benchmarked build")
    parser.add_argument("--top", type=int, default=15, help="slowest models listed")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between memory samples")
    parser.add_argument("--no-incremental", action="store_true", help="skip landing a day and the incremental build")
    parser.add_argument(
        "--unchanged",
        action="store_true",
        help="after the incremental build, build once more with nothing new landed: a daily run's fixed cost",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the bare DuckDB / implicit comparison")
    parser.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        help="dbt node selectors left out of both builds (e.g. a failing test whose skips would hide work)",
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the copied data under the scratch folder")
    parser.set_defaults(func=run)


def _progress(message: str) -> None:
    print(f"[tailor bench] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from tailor.bench.report import render_markdown
    from tailor.bench.runner import BenchOptions, run_bench, write_report

    root = Path.cwd()
    options = BenchOptions(
        scale=args.scale,
        root=root,
        data_dir=(root / args.data).resolve(),
        work_dir=(root / args.work / args.scale).resolve(),
        results_dir=(root / args.results).resolve(),
        target=args.target,
        sample_interval_s=args.interval,
        n_top=args.top,
        run_incremental=not args.no_incremental,
        run_unchanged=args.unchanged,
        run_floor=not args.no_floor,
        keep_data=args.keep_data,
        exclude=tuple(args.exclude),
    )
    report = run_bench(options, _progress)
    markdown = render_markdown(report)
    json_path, markdown_path = write_report(report, options.results_dir, markdown)
    print(markdown)
    _progress(f"wrote {json_path} and {markdown_path}")
    return max((build["exit_code"] for build in report["builds"].values()), default=0)
