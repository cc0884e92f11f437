"""The headline numbers of a build, printed at the end of scripts/run.sh and at the top of the report.
A number whose mart was not built (or is empty) reads "unavailable" with the reason, never a silent gap."""

from __future__ import annotations

import duckdb

from tailor.report.data import relations

# label -> (relation it needs, SQL returning one value, format)
HEADLINES: tuple[tuple[str, str, str, str], ...] = (
    ("persons profiled", "dim_customer_profiles", "select count(*) from dim_customer_profiles", "{:,.0f}"),
    ("orders", "fct_orders", "select count(*) from fct_orders", "{:,.0f}"),
    ("revenue (USD)", "fct_orders",
     "select sum(total_amount_usd) filter (where not is_cancelled) from fct_orders", "{:,.2f}"),
    ("session conversion rate", "fct_sessions",
     "select avg(case when is_converted then 1.0 else 0 end) from fct_sessions", "{:.2%}"),
    ("segments", "dim_segments", "select count(*) from dim_segments", "{:,.0f}"),
    ("recommendation NDCG@10", "fct_model_monitoring",
     "select ndcg from fct_model_monitoring order by run_number desc limit 1", "{:.3f}"),
    ("popularity baseline NDCG@10", "fct_model_monitoring",
     "select popularity_ndcg from fct_model_monitoring order by run_number desc limit 1", "{:.3f}"),
    ("experiments read out", "fct_experiment_results",
     "select count(distinct experiment_id) from fct_experiment_results", "{:,.0f}"),
    ("personalization consent", "dim_customer_profiles",
     "select avg(case when has_personalization_consent then 1.0 else 0 end) from dim_customer_profiles", "{:.1%}"),
)


def headline_numbers(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(label, formatted value) for each headline; 'unavailable (...)' when it cannot be computed."""
    built = relations(con)
    numbers = []
    for label, needs, sql, fmt in HEADLINES:
        if needs not in built:
            numbers.append((label, f"unavailable ({needs} not built)"))
            continue
        (value,) = con.execute(sql).fetchone() or (None,)
        numbers.append((label, fmt.format(value) if value is not None else f"unavailable ({needs} is empty)"))
    quarantined = [name for name in built if name.startswith("stg_") and name.endswith("_quarantine")]
    if quarantined:
        total = sum(con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in quarantined)
        numbers.append(("raw rows quarantined", f"{total:,}"))
    return numbers
