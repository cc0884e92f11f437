"""`tailor identity-report`: how well the built identity map matches planted truth, and how it clusters."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "identity-report",
        help="pairwise precision/recall of the identity map against planted truth, plus cluster stats",
    )
    parser.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("--truth", help="planted-truth folder (default: TAILOR_TRUTH, else the last main job's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tailor.identity import evaluate_identity_map, pii_salt, pseudonymize, read_truth_identifiers
    from tailor.state import NO_TRUTH, planted_truth
    from tailor.warehouse import connect

    truth_dir = planted_truth(args.truth)
    if not truth_dir:
        print(f"identity precision and recall: unavailable, {NO_TRUTH}")
        return 2
    con = connect(args.db)
    try:
        identity_map = con.sql("select identifier_type, identifier_value, person_id from dim_identity_map").df()
        edges = con.sql("select * from int_identity_edges").df()
        (n_refused,) = con.sql("select count(*) from int_identity_edges_refused").fetchall()[0]
    finally:
        con.close()
    salt = pii_salt()
    evaluation = evaluate_identity_map(
        identity_map, read_truth_identifiers(truth_dir), lambda value: pseudonymize(value, salt), edges
    )
    report = {
        **evaluation.as_dict(),
        "n_persons_in_map": int(identity_map["person_id"].nunique()),
        "n_edges": int(edges["right_type"].notna().sum()),
        "n_blocked_rows": int(edges["is_blocked"].sum()),
        "n_refused_edges": int(n_refused),
    }
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print("identity resolution vs planted truth (pairs of identifiers known to both)")
    print(f"  precision  {report['precision']:.4f}   ({report['true_pairs']:,} of {report['predicted_pairs']:,} pairs)")
    print(f"  recall     {report['recall']:.4f}   ({report['true_pairs']:,} of {report['truth_pairs']:,} pairs)")
    print(f"  f1         {report['f1']:.4f}")
    print(
        f"  linkable   {report['linkable_recall']:.4f}   ({report['found_linkable_pairs']:,} of "
        f"{report['linkable_pairs']:,} pairs the data ties together at all)"
    )
    print("clusters")
    rows = (
        ("identifiers in map", "n_map_identifiers"),
        ("persons in map", "n_persons_in_map"),
        ("identifiers scored", "n_identifiers"),
        ("truth identifiers", "n_truth_identifiers"),
        ("truth identifiers shared by persons", "n_ambiguous_truth_identifiers"),
        ("predicted persons (scored)", "n_predicted_persons"),
        ("true persons (scored)", "n_true_persons"),
        ("true persons split", "n_split_true_persons"),
        ("predicted persons merging people", "n_merged_predicted_persons"),
        ("largest predicted person", "max_identifiers_per_predicted_person"),
        ("identity edges", "n_edges"),
        ("blocklisted identifier rows", "n_blocked_rows"),
        ("edges refused by caps", "n_refused_edges"),
    )
    for label, key in rows:
        print(f"  {label:<38} {report[key]:>10,}")
    print(f"  {'singleton share (scored)':<38} {report['share_singleton_predicted_persons']:>10.3f}")
    return 0
