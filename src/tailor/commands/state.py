"""`tailor state`: print, or with --record write, what the main job used (warehouse, truth, landing, ...)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("state", help="print the environment the last main job recorded")
    parser.add_argument("--record", action="store_true", help="record this environment (scripts/run.sh does)")
    parser.add_argument("--status", help="with --record: the job's outcome, e.g. built, published, failed")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.state import read_state, record_state, state_path

    if args.record:
        outcome = {"status": args.status} if args.status else {}
        print(f"recorded {record_state(**outcome)}")
        return 0
    state = read_state()
    if not state:
        print(f"no state at {state_path()}: run scripts/run.sh first")
        return 1
    print(json.dumps(state, indent=2, sort_keys=True))
    return 0
