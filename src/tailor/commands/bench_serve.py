"""`tailor bench-serve`: latency, throughput and a publish swap under load of `tailor serve` on a build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench-serve", help="load-test `tailor serve` on a built warehouse; write bench_results/serve/<scale>/"
    )
    parser.add_argument("--scale", default="m", help="label of the build's scale in the report (default m)")
    parser.add_argument("--db", help="build warehouse (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("--target-dir", default="target", help="dbt target dir of that build")
    parser.add_argument("--work", default="bench_results/tmp/serve", help="scratch folder: published copy, log")
    parser.add_argument("--results", default="bench_results", help="where serve/<scale>/<timestamp>.json goes")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per fixed-rate phase")
    parser.add_argument("--lookup-rate", type=float, default=300.0, help="lookups per second")
    parser.add_argument("--session-rate", type=float, default=100.0, help="session fold-ins per second")
    parser.add_argument("--saturation", type=float, default=10.0, help="seconds per closed-loop phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the closed-loop phases")
    parser.add_argument("--port", type=int, default=8765, help="loopback port of the benchmarked server")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.bench.serve import ServeBenchOptions, render_markdown, run_serve_bench, write_report
    from tailor.warehouse import default_db_path

    root = Path.cwd()
    options = ServeBenchOptions(
        scale=args.scale,
        build=Path(args.db).resolve() if args.db else default_db_path().resolve(),
        target_dir=Path(args.target_dir).resolve(),
        work_dir=(root / args.work / args.scale).resolve(),
        results_dir=(root / args.results).resolve(),
        duration_s=args.duration,
        lookup_rate=args.lookup_rate,
        session_rate=args.session_rate,
        saturation_s=args.saturation,
        saturation_concurrency=args.clients,
        port=args.port,
    )
    options.work_dir.mkdir(parents=True, exist_ok=True)
    report = run_serve_bench(options, lambda message: print(f"[tailor bench-serve] {message}", file=sys.stderr))
    json_path, markdown_path = write_report(report, options.results_dir)
    print(render_markdown(report))
    print(f"[tailor bench-serve] wrote {json_path} and {markdown_path}", file=sys.stderr)
    return 0
