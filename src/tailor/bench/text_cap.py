"""Benchmark: the cost of scoring one 1 MiB support ticket body with the NLP text cap.

    python -m tailor.bench.text_cap [max_chars ...]   (default: var nlp_text_max_chars of dbt_project.yml)

VADER's time grows with the square of the text length, so the cap (var nlp_text_max_chars) bounds it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from tailor.features.text import score_tickets

BODY_BYTES = 1_048_576
SENTENCE = "The zipper broke after two days, support never answered and I am really disappointed. "


def time_one_body(max_chars: int, body_bytes: int = BODY_BYTES) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds, truncated) of score_tickets on one ticket whose body is body_bytes long."""
    body = (SENTENCE * (body_bytes // len(SENTENCE) + 1))[:body_bytes]
    tickets = pd.DataFrame({"ticket_id": ["T1"], "email_hash": ["h"], "created_at": pd.to_datetime(["2026-01-01"]),
                            "subject": ["Broken"], "body": [body]})
    products = pd.DataFrame({"product_id": ["P1"], "title": ["Trail Runner 3"], "brand": ["Nordwind"]})
    wall, cpu = time.perf_counter(), time.process_time()
    scored = score_tickets(tickets, products, max_chars=max_chars)
    return time.perf_counter() - wall, time.process_time() - cpu, bool(scored["is_text_truncated"].iloc[0])


def project_max_chars(project: Path = Path("dbt_project.yml")) -> int:
    """The cap the build uses: var nlp_text_max_chars of the dbt project."""
    return int(yaml.safe_load(project.read_text())["vars"]["tailor"]["nlp_text_max_chars"])


def main(argv: list[str]) -> None:
    for max_chars in [int(a) for a in argv] or [project_max_chars()]:
        wall, cpu, truncated = time_one_body(max_chars)
        print(f"1 MiB body, max_chars={max_chars}: {wall:.3f} s wall, {cpu:.3f} s CPU, truncated={truncated}")


if __name__ == "__main__":
    main(sys.argv[1:])
