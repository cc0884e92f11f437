"""`tailor serve`: the HTTP API over the published marts (recommendations, similar items, profiles, fold-in)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

API_KEY_ENV = "TAILOR_SERVE_API_KEY"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve recommendations and profiles over HTTP from the published marts"
    )
    parser.add_argument("--published", default="published", help="publication folder (default: published/)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from tailor.identity import pii_salt
    from tailor.serve.app import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    api_key = os.environ.get(API_KEY_ENV) or None
    app = create_app(Path(args.published), api_key=api_key, salt=pii_salt())
    # uvicorn's access log prints query strings (identifiers): the app logs route templates instead
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
