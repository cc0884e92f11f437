"""`tailor report`: one offline HTML file whose every chart draws in headless Chromium (Debian's chromium,
installed by scripts/bootstrap.sh), built from the warehouse the suite built."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tailor.report import charts, data
from tailor.report.browser import chart_status, chromium, rendered_dom
from tailor.report.page import write_report
from tailor.warehouse import default_db_path

EXPECTED_CHARTS = {"experiments", "segment-sizes", "segment-profiles", "recommendations", "coverage", "quarantine",
                   "monitoring"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = default_db_path()
    if not warehouse.exists():
        pytest.skip(f"no warehouse at {warehouse}: build it first")
    return write_report(warehouse, tmp_path_factory.mktemp("report") / "report.html")


def test_every_chart_draws_in_headless_chromium(report: Path) -> None:
    assert chromium(), "no chromium on PATH: scripts/bootstrap.sh installs Debian's chromium"
    status = chart_status(rendered_dom(report))
    assert status == dict.fromkeys(EXPECTED_CHARTS, "drawn")


def test_the_check_sees_a_page_whose_script_did_not_run(report: Path, tmp_path: Path) -> None:
    page = report.read_text()
    broken = tmp_path / "broken.html"
    broken.write_text(page[: page.index("<script>")] + page[page.index("</head>"):])
    assert set(chart_status(rendered_dom(broken)).values()) == {"not drawn"}


def test_the_report_is_self_contained(report: Path) -> None:
    page = report.read_text()
    assert not re.search(r"<script[^>]+src=", page), "scripts must be inlined, not loaded"
    assert not re.search(r"<link[^>]+href=\"?https?:", page), "no external stylesheets"
    assert "cdn." not in page.split("</head>")[1]


def test_empty_marts_give_no_chart_instead_of_failing() -> None:
    empty = pd.DataFrame()
    assert charts.experiment_lift(empty, empty) is None
    assert charts.segment_profiles(data.segment_zscores(pd.DataFrame(
        {"segment_name": ["fallback"], "member_count": [3], "is_fallback": [True], "centroid_summary": [None]}
    ))) is None
    assert charts.quarantine(empty) is None


def test_quarantined_rows_are_dated_by_their_own_timestamp() -> None:
    con = duckdb.connect()
    con.execute("""
        create table stg_shop__orders_quarantine as select * from (values
            ('bad_amount', '{"created_at": "2026-10-02T10:00:00Z"}'),
            ('bad_amount', '{"created_at": "2026-10-02T23:00:00Z"}'),
            ('duplicate', '{"received_at": "2026-10-03T01:00:00Z", "created_at": "2020-01-01"}'),
            ('bad_timestamp', '{"created_at": "2026-02-30T10:00:00Z"}')
        ) as t(quarantine_reason, raw_record)
    """)
    counts = data.quarantine_by_reason_and_day(con)
    rows = {
        (row.quarantine_reason, None if pd.isna(row.day) else str(row.day)[:10]): row.row_count
        for row in counts.itertuples()
    }
    assert rows == {("bad_amount", "2026-10-02"): 2, ("duplicate", "2026-10-03"): 1, ("bad_timestamp", None): 1}
    assert set(counts["landing_table"]) == {"shop__orders"}
