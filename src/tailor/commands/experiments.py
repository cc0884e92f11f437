"""`tailor experiments`: the readout of every experiment: lifts with CIs and p-values, health, bandit allocation."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import pandas as pd

RESULT_QUERY = (
    "select * from fct_experiment_results"
    " order by experiment_id, not is_primary, not is_guardrail, metric, not is_control, variant"
)
HEALTH_QUERY = "select * from fct_experiment_health order by experiment_id"
BANDIT_QUERY = "select * from fct_bandit_allocations order by experiment_id"
STATUS_MARKS = {"passed": "ok", "failed": "FAIL", "known_failure": "FAIL*", "missed_expected_failure": "MISS"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "experiments", help="print every experiment's readout: lift, CI, p-value, health checks, bandit allocation"
    )
    parser.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("--experiment", help="only this experiment_id")
    parser.add_argument("--json", action="store_true", help="print one JSON object per experiment instead of text")
    parser.set_defaults(func=run)


def _pct(value: float, signed: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _number(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}" if kind in ("proportion", "ratio") and abs(value) < 1 else f"{value:,.2f}"


def _p(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def _role(row: dict[str, Any]) -> str:
    return "primary" if row["is_primary"] else "guardrail" if row["is_guardrail"] else "secondary"


def format_experiment(results: pd.DataFrame, health: pd.DataFrame, bandit: pd.DataFrame) -> list[str]:
    """Text readout of one experiment from its rows of the three marts."""
    first = results.iloc[0]
    lines = [f"{first['experiment_id']}  {first['experiment_name']}  (data as of {first['as_of_at']:%Y-%m-%d %H:%M})"]
    verdict = "trustworthy" if first["is_trustworthy"] else "NOT TRUSTWORTHY: do not read the lifts"
    failed = first["failed_health_checks"] or "none"
    lines.append(f"  health: {verdict}; failed checks: {failed}")
    for row in health.to_dict("records"):
        mark = STATUS_MARKS.get(row["health_status"], row["health_status"])
        known = f"  [known: {row['expectation_reason']}]" if row["health_status"] == "known_failure" else ""
        name = row["health_check"] + (f"({row['metric']})" if isinstance(row["metric"], str) else "")
        lines.append(f"    [{mark:<5}] {name:<36} {row['message']}{known}")
    lines.append(
        f"  {'metric':<18} {'role':<9} {'variant':<10} {'units':>7} {'value':>10} {'lift':>8}  "
        f"{'95% CI':<18} {'p':>7}  {'CUPED':>6} {'MDE':>6}  conclusion"
    )
    for row in results.to_dict("records"):
        ci = "-" if row["is_control"] else f"[{_pct(row['rel_lift_ci_low'])}, {_pct(row['rel_lift_ci_high'])}]"
        lines.append(
            f"  {row['metric']:<18} {_role(row):<9} {row['variant']:<10} {row['units']:>7,} "
            f"{_number(row['variant_value'], row['metric_kind']):>10} {_pct(row['rel_lift']):>8}  {ci:<18} "
            f"{_p(row['p_value']):>7}  {_pct(row['cuped_variance_reduction'], False):>6} "
            f"{_pct(row['mde_rel'], False):>6}  {row['conclusion']}"
        )
    if not bandit.empty:
        arms = ", ".join(
            f"{r['variant']} P(best) {r['prob_best']:.1%} -> {r['allocation']:.1%} of traffic"
            for r in bandit.to_dict("records")
        )
        caution = "" if bandit["is_experiment_trustworthy"].all() else "  (experiment not trustworthy: do not act)"
        lines.append(f"  bandit on {bandit.iloc[0]['metric']}: {arms}{caution}")
    return lines


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records: NaN as null, timestamps as ISO strings."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in rec.items()}
        for rec in cleaned.to_dict("records")
    ]


def run(args: argparse.Namespace) -> int:
    from tailor.warehouse import connect

    con = connect(args.db)
    try:
        results, health, bandit = (con.sql(q).df() for q in (RESULT_QUERY, HEALTH_QUERY, BANDIT_QUERY))
    finally:
        con.close()
    experiments = [e for e in dict.fromkeys(results["experiment_id"]) if args.experiment in (None, e)]
    if not experiments:
        print("no experiment readout in the warehouse" + (f" for {args.experiment}" if args.experiment else ""))
        return 1
    for i, exp in enumerate(experiments):
        parts = [frame.loc[frame["experiment_id"] == exp] for frame in (results, health, bandit)]
        if args.json:
            print(json.dumps(dict(zip(("results", "health", "bandit"), map(_records, parts), strict=True)) | {
                "experiment_id": exp}, default=str))
            continue
        if i:
            print()
        print("\n".join(format_experiment(*parts)))
    if not args.json:
        print("\nFAIL* = a failure recorded as known in seeds/experiment_health_expectations.csv; "
              "MISS = a recorded failure the check did not flag.")
    return 0
