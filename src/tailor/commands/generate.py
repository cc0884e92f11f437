"""`tailor generate` (sample data with planted truth) and `tailor land-day` (land the next held-back day)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    from tailor.generator.config import SCALES

    gen = subparsers.add_parser("generate", help="generate sample landing data with planted truth")
    gen.add_argument("--scale", choices=list(SCALES), default="sample")
    gen.add_argument("--out", default="data", help="root folder: writes landing/, pending/, truth/ per scale")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--holdback-days", type=int, default=1,
                     help="days simulated after the landed period, kept under pending/ for `tailor land-day`")
    gen.add_argument("--workers", type=int, default=0,
                     help="processes simulating chunks in parallel (default: one per CPU); output is identical")
    gen.add_argument("--quiet", action="store_true", help="no progress on stderr")
    gen.set_defaults(func=run_generate)

    land = subparsers.add_parser("land-day", help="move the next held-back day into the landing folder")
    land.add_argument("--scale", choices=list(SCALES), default="sample")
    land.add_argument("--out", default="data")
    land.set_defaults(func=run_land_day)


def _progress(message: str) -> None:
    print(f"[tailor generate] {message}", file=sys.stderr, flush=True)


def run_generate(args: argparse.Namespace) -> int:
    from tailor.generator import SCALES, generate

    if args.holdback_days < 0:
        print("--holdback-days must be >= 0", file=sys.stderr)
        return 2
    manifest = generate(SCALES[args.scale], args.out, seed=args.seed, holdback_days=args.holdback_days,
                        progress=None if args.quiet else _progress, workers=args.workers)
    if not args.quiet:
        for table, n in sorted(manifest["row_counts"].items()):
            print(f"{table:28s} {n:>12,d}")
    return 0


def run_land_day(args: argparse.Namespace) -> int:
    from tailor.generator import land_day

    try:
        result = land_day(args.scale, args.out)
    except FileNotFoundError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"landed dt={result['dt']}")
    for table, n in sorted(result["rows"].items()):
        print(f"{table:28s} {n:>12,d}")
    return 0
