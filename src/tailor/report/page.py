"""Assembles the report: headline numbers, then one section per chart, with plotly.js inlined once so the
file opens offline (no CDN, no server)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from tailor.privacy.salt import pii_salt, set_session_salt
from tailor.report import charts, data
from tailor.report.headline import headline_numbers

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 4px; } .meta { color: #666; margin-top: 0; }
table.headline { border-collapse: collapse; margin: 12px 0 24px; }
table.headline td { padding: 3px 16px 3px 0; } table.headline td.value { font-weight: 600; text-align: right; }
section { margin: 28px 0; } section p { color: #555; margin: 4px 0 8px; }
.missing { padding: 16px; background: #f6f6f6; color: #777; }
"""


def sections(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, go.Figure | None, str]]:
    """(id, title, figure or None, caption) of every chart, in reading order."""
    segments = data.segment_sizes(con)
    return [
        ("experiments", "Experiments: lift with confidence intervals, and health",
         charts.experiment_lift(data.experiment_lifts(con), data.experiment_health(con)),
         "Relative lift of each variant over control on its primary and guardrail metrics (95% CI); red: the "
         "readout is not trustworthy (a health check failed). Right: health checks by status. fct_experiment_*"),
        ("segment-sizes", "Segments: sizes", charts.segment_sizes(segments),
         "Persons per segment; fallback segments (too little activity to cluster) in grey. dim_segments"),
        ("segment-profiles", "Segments: profiles (feature z-scores)",
         charts.segment_profiles(data.segment_zscores(segments)),
         "Each behavioural segment's mean feature value against the population, in standard deviations."),
        ("recommendations", "Recommendation quality per run, against popularity",
         charts.recommendation_quality(data.recommendation_runs(con)),
         "Offline NDCG@10 of the served model on held-out interactions at each evaluation run, and the "
         "popularity baseline on the same holdout. fct_model_monitoring"),
        ("coverage", "Identity and consent coverage", charts.coverage(data.coverage(con)),
         "Share of profiled persons with a known user id or email, and with each consent purpose granted now. "
         "dim_customer_profiles"),
        ("quarantine", "Quarantined raw rows by reason and day",
         charts.quarantine(data.quarantine_by_reason_and_day(con)),
         "Rows rejected in staging, by landing table and reason, dated by the record's own timestamp "
         "(undated: none parses). stg_*_quarantine"),
        ("monitoring", "Monitoring trends", charts.monitoring(data.monitoring_trends(con)),
         "One point per monitoring run (each build): recommendation quality, segment drift and experiments "
         "needing attention. fct_model_monitoring"),
    ]


def render(con: duckdb.DuckDBPyConnection, title: str = "tailor report") -> str:
    """The whole page as one HTML string."""
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td class='value'>{html.escape(value)}</td></tr>"
        for label, value in headline_numbers(con)
    )
    body = []
    for section_id, heading, figure, caption in sections(con):
        chart = (
            figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{section_id}",
                           config={"displaylogo": False, "responsive": True})
            if figure is not None
            else "<div class='missing'>No data: the mart behind this chart was not built or is empty.</div>"
        )
        body.append(
            f"<section id='{section_id}' data-chart='{'yes' if figure is not None else 'no'}'>"
            f"<h2>{html.escape(heading)}</h2><p>{html.escape(caption)}</p>"
            f"<div class='chart'>{chart}</div></section>"
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>generated {generated}</p>"
        f"<table class='headline'>{rows}</table>{''.join(body)}</body></html>"
    )


def write_report(warehouse: Path, out: Path) -> Path:
    """Render the report from `warehouse` (opened read-only) into `out`, atomically."""
    con = duckdb.connect(str(warehouse), read_only=True)
    set_session_salt(con, pii_salt())  # the quarantine views pseudonymize with the session's salt
    try:
        page = render(con)
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
