"""`tailor segments`: the segment table of the last build (name, size, top features, rules) and, given planted
truth (TAILOR_TRUTH or --truth), how well the segments recover the planted personas (adjusted Rand index)."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd

SEGMENT_QUERY = """
select segment_id, segment_name, is_fallback, member_count, member_share, clustered_share, top_features,
    segment_rules, rule_precision, rule_recall, tree_agreement, cluster_count, silhouette, created_at,
    retrained_at
from dim_segments
order by is_fallback, member_count desc, segment_id
"""


def main_profiles(
    identity_map: pd.DataFrame, truth_dir: str | Path, hash_email: Callable[[str], str | None]
) -> pd.DataFrame:
    """Each planted person's main warehouse person: the one holding most of their identifiers (ties: lowest id).

    `identity_map`: identifier_type, identifier_value, person_id (emails as pseudonyms). Identifiers planted
    for several persons (shared inboxes, placeholder ids) are skipped. Returns person_key, persona, person_id.
    """
    from tailor.identity import read_truth_identifiers
    from tailor.identity.evaluate import truth_in_warehouse_terms

    keyed = truth_in_warehouse_terms(read_truth_identifiers(truth_dir), hash_email)
    keyed = keyed[keyed["n_owners"] == 1]
    mapped = keyed.merge(identity_map.dropna(subset=["person_id"]), on=["identifier_type", "identifier_value"])
    counts = mapped.groupby(["person_key", "person_id"]).size().rename("n_identifiers").reset_index()
    counts = counts.sort_values(["person_key", "n_identifiers", "person_id"], ascending=[True, False, True])
    main = counts.drop_duplicates("person_key")[["person_key", "person_id"]]
    personas = pd.read_parquet(Path(truth_dir) / "persons.parquet", columns=["person_key", "persona"])
    personas["person_key"] = personas["person_key"].astype(str)
    return main.merge(personas, on="person_key")[["person_key", "persona", "person_id"]]


def persona_agreement(memberships: pd.DataFrame, profiles: pd.DataFrame) -> dict[str, float | int]:
    """Adjusted Rand index between planted personas and segments over the planted persons' main profiles.

    `ari`: every segmented main profile, a fallback segment counting as one more label (what the product
    delivers); `ari_clustered`: only those placed in a behavioural cluster. `memberships`: person_id,
    segment_id, is_fallback; `profiles`: person_key, persona, person_id (see main_profiles).
    """
    from tailor.segments import adjusted_rand

    joined = profiles.merge(memberships, on="person_id")
    clustered = joined[~joined["is_fallback"].astype(bool)]
    return {
        "ari": adjusted_rand(joined["persona"], joined["segment_id"]) if len(joined) else float("nan"),
        "ari_clustered": (
            adjusted_rand(clustered["persona"], clustered["segment_id"]) if len(clustered) else float("nan")
        ),
        "n_persons": int(len(joined)),
        "n_clustered": int(len(clustered)),
        "n_truth_persons": int(profiles["person_key"].nunique()),
    }


def persona_table(memberships: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Persons per (segment name, planted persona) over the main profiles: where each persona landed."""
    joined = profiles.merge(memberships, on="person_id")
    return pd.crosstab(joined["segment_name"], joined["persona"])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "segments", help="print the segment table; with planted truth, the persona agreement (ARI)"
    )
    parser.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument(
        "--truth", help="planted-truth folder (default: TAILOR_TRUTH, else the last main job's; none: no agreement)"
    )
    parser.add_argument("--personas", action="store_true", help="also print where each planted persona landed")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def _wrapped(label: str, text: object, width: int = 110) -> str:
    body = str(text) if isinstance(text, str) and text else "-"
    return textwrap.fill(body, width=width, initial_indent=f"    {label:<14}", subsequent_indent=" " * 18)


def _print_table(segments: pd.DataFrame) -> None:
    clusters = segments[~segments["is_fallback"]]
    first = segments.iloc[0] if len(segments) else None
    if first is None:
        print("no segments: build the project first")
        return
    agreement = clusters["tree_agreement"].dropna()
    print(
        f"segments as of {first['retrained_at']}  (k={first['cluster_count']}, "
        f"silhouette {first['silhouette']:.3f}, rules agree with clusters for "
        f"{agreement.iloc[0] if len(agreement) else float('nan'):.1%} of persons)"
    )
    total = int(segments["member_count"].sum())
    print(f"{total:,} persons, {int(clusters['member_count'].sum()):,} clustered\n")
    for row in segments.itertuples():
        share = f"{row.member_share:.1%} of all"
        if not row.is_fallback:
            share += f", {row.clustered_share:.1%} of clustered"
        print(f"{row.segment_id:<24} {row.segment_name:<44} {row.member_count:>9,} persons  ({share})")
        if not row.is_fallback:
            print(_wrapped("top features", row.top_features))
            quality = f"  [precision {row.rule_precision:.2f}, recall {row.rule_recall:.2f}]"
            print(_wrapped("rules", f"{row.segment_rules}{quality}"))
        else:
            print(_wrapped("rule", row.segment_rules))


def run(args: argparse.Namespace) -> int:
    from tailor.identity import pii_salt, pseudonymize
    from tailor.state import NO_TRUTH, planted_truth
    from tailor.warehouse import connect

    truth_dir = planted_truth(args.truth)
    con = connect(args.db)
    try:
        segments = con.sql(SEGMENT_QUERY).df()
        memberships = con.sql("select person_id, segment_id, segment_name, is_fallback from dim_customer_segments").df()
        identity_map = (
            con.sql("select identifier_type, identifier_value, person_id from dim_identity_map").df()
            if truth_dir
            else None
        )
    finally:
        con.close()
    report: dict = {"segments": json.loads(segments.to_json(orient="records", date_format="iso"))}
    profiles = None
    if truth_dir:
        salt = pii_salt()
        profiles = main_profiles(identity_map, truth_dir, lambda value: pseudonymize(value, salt))
        report["persona_agreement"] = persona_agreement(memberships, profiles)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True, default=str))
        return 0
    _print_table(segments)
    if profiles is not None:
        agreement = report["persona_agreement"]
        print(
            f"\nplanted-persona agreement (adjusted Rand index): {agreement['ari']:.3f} over "
            f"{agreement['n_persons']:,} planted persons' main profiles (fallback segments as labels); "
            f"{agreement['ari_clustered']:.3f} over the {agreement['n_clustered']:,} clustered ones"
        )
        if args.personas:
            print()
            print(persona_table(memberships, profiles).to_string())
    else:
        print(f"\nplanted-persona agreement (adjusted Rand index): unavailable, {NO_TRUTH}")
    return 0
