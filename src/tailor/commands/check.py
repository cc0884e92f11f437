"""`tailor check`: preflight of the landing folder against the landing contract, in seconds, before a build."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_LANDING = "data/landing/sample"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="check the landing folder (folders, files, columns, types) before a build; exit 1 if wrong"
    )
    parser.add_argument("--landing", help=f"landing folder (default: TAILOR_LANDING, else {DEFAULT_LANDING})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.landing_check import absent_sources, check_landing, render_findings, source_formats

    root = Path(args.landing or os.environ.get("TAILOR_LANDING") or DEFAULT_LANDING)
    absent = absent_sources()
    findings = check_landing(root, absent, source_formats())
    print(render_findings(root, findings, absent))
    return 1 if findings else 0
