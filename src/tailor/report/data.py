"""The frames each report chart draws, read from the built warehouse (marts, and the quarantine models for
the rejected-rows chart). Each function returns an empty frame when its relation is missing or empty, so
the page says "no data" for that chart instead of failing."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

# Keys of a quarantined raw record that date it, in order of preference (landing time, then event time).
RECORD_DATE_KEYS: tuple[str, ...] = (
    "received_at", "created_at", "occurred_at", "assigned_at", "requested_at", "updated_at",
    "CreatedDate", "LastModifiedDate", "timestamp",
)
CONSENT_FLAGS: dict[str, str] = {
    "has_analytics_consent": "analytics",
    "has_personalization_consent": "personalization",
    "has_marketing_consent": "marketing",
}
IDENTITY_FLAGS: dict[str, str] = {"has_user_id": "known user id", "has_email": "email on file"}


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}


def query(con: duckdb.DuckDBPyConnection, sql: str, needs: str) -> pd.DataFrame:
    """The result of `sql`, or an empty frame when the relation `needs` was not built."""
    if needs not in relations(con):
        return pd.DataFrame()
    return con.execute(sql).df()


def experiment_lifts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, """
        select experiment_id, metric, variant, rel_lift, rel_lift_ci_low, rel_lift_ci_high, is_significant,
            is_trustworthy, coalesce(failed_health_checks, '') as failed_health_checks
        from fct_experiment_results
        where not is_control and is_primary or (not is_control and is_guardrail)
        order by experiment_id, metric, variant
    """, "fct_experiment_results")


def experiment_health(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, """
        select experiment_id, health_status, count(*) as checks
        from fct_experiment_health group by all order by all
    """, "fct_experiment_health")


def segment_sizes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, """
        select segment_name, member_count, is_fallback, centroid_summary
        from dim_segments order by is_fallback, member_count desc
    """, "dim_segments")


def segment_zscores(segments: pd.DataFrame) -> pd.DataFrame:
    """Segment x feature z-scores of the behavioural segments, from dim_segments.centroid_summary."""
    rows = []
    for segment in segments.itertuples():
        if segment.is_fallback or not segment.centroid_summary:
            continue
        for feature, stats in json.loads(segment.centroid_summary).items():
            rows.append({"segment_name": segment.segment_name, "feature": feature, "z": stats.get("z")})
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).pivot(index="segment_name", columns="feature", values="z")


def recommendation_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, """
        select run_number, as_of_at, watched_model, ndcg, popularity_ndcg
        from fct_model_monitoring order by run_number
    """, "fct_model_monitoring")


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share of profiled persons with each identity signal and each consent purpose granted."""
    flags = {**IDENTITY_FLAGS, **CONSENT_FLAGS}
    shares = ", ".join(f"avg(case when {column} then 1.0 else 0.0 end) as {column}" for column in flags)
    frame = query(con, f"select count(*) as persons, {shares} from dim_customer_profiles", "dim_customer_profiles")
    if frame.empty or not frame.loc[0, "persons"]:
        return pd.DataFrame()
    return pd.DataFrame([
        {"kind": "identity" if column in IDENTITY_FLAGS else "consent", "signal": label,
         "share": float(frame.loc[0, column])}
        for column, label in flags.items()
    ])


def quarantine_by_reason_and_day(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rejected raw rows per quarantine model, reason and day (the record's own date; null when unparseable)."""
    models = sorted(name for name in relations(con) if name.startswith("stg_") and name.endswith("_quarantine"))
    if not models:
        return pd.DataFrame()
    day = "coalesce(" + ", ".join(
        f"try_cast(try_cast(json_extract_string(raw_record, '$.{key}') as timestamptz) as date)"
        for key in RECORD_DATE_KEYS
    ) + ")"
    parts = [
        f"select '{name.removeprefix('stg_').removesuffix('_quarantine')}' as landing_table, quarantine_reason, "
        f"{day} as day from {name}"
        for name in models
    ]
    return con.execute(
        "select landing_table, quarantine_reason, day, count(*) as row_count from ("
        + " union all ".join(parts)
        + ") group by all order by day nulls last, landing_table, quarantine_reason"
    ).df()


def monitoring_trends(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, """
        select run_number, as_of_at, ndcg, popularity_ndcg, segment_psi, max_segment_share_change,
            untrustworthy_experiment_count, unexpected_health_failure_count
        from fct_model_monitoring order by run_number
    """, "fct_model_monitoring")
