"""Plotly figures of the report, one per question, from the frames of tailor.report.data. Pure: frames in,
figures out; an empty frame gives None and the page shows why the chart is missing."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEALTH_COLORS = {
    "passed": "#2ca02c", "failed": "#d62728", "known_failure": "#ff7f0e", "missed_expected_failure": "#9467bd",
}
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 60}}


def experiment_lift(lifts: pd.DataFrame, health: pd.DataFrame) -> go.Figure | None:
    """Relative lift of each variant on its primary and guardrail metrics with 95% CIs, next to check health."""
    if lifts.empty:
        return None
    fig = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35], horizontal_spacing=0.18,
                        subplot_titles=("relative lift, 95% CI", "health checks"))
    labels = lifts["experiment_id"] + " · " + lifts["metric"] + " · " + lifts["variant"]
    for trustworthy, color, name in ((True, "#1f77b4", "trustworthy"), (False, "#d62728", "not trustworthy")):
        part = lifts[lifts["is_trustworthy"].fillna(False).astype(bool) == trustworthy]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["rel_lift"], y=labels[part.index], mode="markers", name=name, marker={"color": color, "size": 9},
            error_x={"type": "data", "symmetric": False, "array": part["rel_lift_ci_high"] - part["rel_lift"],
                     "arrayminus": part["rel_lift"] - part["rel_lift_ci_low"]},
            customdata=part[["failed_health_checks"]], hovertemplate="%{y}: %{x:.1%}<br>%{customdata[0]}",
        ), row=1, col=1)
    fig.add_vline(x=0, line={"color": "#888", "dash": "dot"}, row=1, col=1)
    fig.update_xaxes(tickformat=".0%", row=1, col=1)
    for status, part in health.groupby("health_status") if not health.empty else ():
        fig.add_trace(go.Bar(x=part["checks"], y=part["experiment_id"], orientation="h", name=status,
                             marker={"color": HEALTH_COLORS.get(status, "#7f7f7f")}), row=1, col=2)
    fig.update_layout(barmode="stack", **{**LAYOUT, "height": max(420, 28 * len(lifts) + 120)})
    return fig


def segment_sizes(segments: pd.DataFrame) -> go.Figure | None:
    if segments.empty:
        return None
    colors = ["#bbbbbb" if fallback else "#1f77b4" for fallback in segments["is_fallback"]]
    fig = go.Figure(go.Bar(x=segments["member_count"], y=segments["segment_name"], orientation="h",
                           marker={"color": colors}))
    fig.update_layout(xaxis_title="persons (grey: fallback segments)", yaxis={"autorange": "reversed"}, **LAYOUT)
    return fig


def segment_profiles(zscores: pd.DataFrame) -> go.Figure | None:
    if zscores.empty:
        return None
    fig = go.Figure(go.Heatmap(z=zscores.values, x=list(zscores.columns), y=list(zscores.index),
                               colorscale="RdBu", reversescale=True, zmid=0, colorbar={"title": "z"}))
    fig.update_layout(**{**LAYOUT, "height": 180 + 40 * len(zscores), "margin": {**LAYOUT["margin"], "b": 160}})
    return fig


def recommendation_quality(runs: pd.DataFrame) -> go.Figure | None:
    if runs.empty:
        return None
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=runs["run_number"], y=runs["ndcg"], mode="lines+markers",
                             name=f"{runs['watched_model'].iloc[-1]} NDCG@10", marker={"size": 10}))
    fig.add_trace(go.Scatter(x=runs["run_number"], y=runs["popularity_ndcg"], mode="lines+markers",
                             name="popularity baseline NDCG@10", line={"dash": "dash"}, marker={"size": 10}))
    fig.update_layout(xaxis_title="evaluation run", yaxis_title="NDCG@10", xaxis={"dtick": 1}, **LAYOUT)
    return fig


def coverage(shares: pd.DataFrame) -> go.Figure | None:
    if shares.empty:
        return None
    colors = ["#17becf" if kind == "identity" else "#2ca02c" for kind in shares["kind"]]
    fig = go.Figure(go.Bar(x=shares["signal"], y=shares["share"], marker={"color": colors},
                           text=[f"{share:.0%}" for share in shares["share"]], textposition="outside"))
    fig.update_layout(yaxis={"tickformat": ".0%", "range": [0, 1.1]},
                      xaxis_title="identity signals (blue) and consent purposes granted (green)", **LAYOUT)
    return fig


def quarantine(counts: pd.DataFrame) -> go.Figure | None:
    if counts.empty:
        return None
    counts = counts.assign(
        day=counts["day"].astype("string").fillna("undated"),
        series=counts["landing_table"] + ": " + counts["quarantine_reason"],
    )
    fig = go.Figure()
    for series, part in counts.groupby("series"):
        fig.add_trace(go.Bar(x=part["day"], y=part["row_count"], name=series))
    fig.update_layout(barmode="stack", xaxis={"type": "category", "title": "day of the raw record"},
                      yaxis_title="rows quarantined", **{**LAYOUT, "height": 520})
    return fig


def monitoring(trends: pd.DataFrame) -> go.Figure | None:
    if trends.empty:
        return None
    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "NDCG@10 vs popularity", "segment drift (PSI, largest share change)", "experiments needing attention"))
    x = trends["run_number"]
    fig.add_trace(go.Scatter(x=x, y=trends["ndcg"], name="NDCG@10", mode="lines+markers"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=trends["popularity_ndcg"], name="popularity", mode="lines+markers"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=trends["segment_psi"], name="PSI", mode="lines+markers"), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=trends["max_segment_share_change"], name="largest share change",
                             mode="lines+markers"), row=1, col=2)
    fig.add_trace(go.Bar(x=x, y=trends["untrustworthy_experiment_count"], name="untrustworthy"), row=1, col=3)
    fig.add_trace(go.Bar(x=x, y=trends["unexpected_health_failure_count"], name="unexpected health failures"),
                  row=1, col=3)
    fig.update_traces(selector={"type": "scatter"}, marker={"size": 9})
    fig.update_xaxes(title_text="monitoring run", dtick=1)
    fig.update_layout(**LAYOUT)
    return fig
