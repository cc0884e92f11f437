"""`tailor recs-eval`: the latest offline evaluation as a model x metric table.
`tailor recommend`: recommendations, similar items and the evaluation from your own interactions and catalog files.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # the recommender stack is imported only by the commands that use it
    from tailor.recommend.settings import RecsSettings

METRIC_ORDER: tuple[str, ...] = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty")
MODEL_ORDER: tuple[str, ...] = ("hybrid", "als", "content", "segment_popularity", "global_popularity")
LATEST_RUN_QUERY = (
    "select * from fct_recommendation_evaluation"
    " where run_number = (select max(run_number) from fct_recommendation_evaluation)"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluation = subparsers.add_parser(
        "recs-eval", help="print the latest recommender evaluation run: model x metric (precision, NDCG, ...)"
    )
    evaluation.add_argument("--db", help="warehouse file (default: TAILOR_DUCKDB_PATH)")
    evaluation.add_argument("-k", type=int, default=10, help="cut-off to show (default 10)")
    evaluation.add_argument("--slice", default="overall", help="overall (default), segment or tier")
    evaluation.add_argument("--json", action="store_true", help="print the rows as JSON lines instead")
    evaluation.set_defaults(func=run_eval)

    recommend = subparsers.add_parser(
        "recommend",
        help="bring your own data: recommendations, similar items and evaluation from interactions + catalog files",
    )
    recommend.add_argument("--interactions", required=True, help="CSV or Parquet: user, item, timestamp[, weight]")
    recommend.add_argument("--catalog", required=True, help="CSV or Parquet: item id[, title, category, ...]")
    recommend.add_argument("--persons", help="optional: user id[, has_personalization_consent, segment_id]")
    recommend.add_argument("--out", default="recommendations_out", help="output folder (default recommendations_out)")
    recommend.add_argument("--user-col", help="user column (default: detected, e.g. user_id)")
    recommend.add_argument("--item-col", help="item column (default: detected, e.g. item_id)")
    recommend.add_argument("--time-col", help="timestamp column (default: detected, e.g. timestamp)")
    recommend.add_argument("--weight-col", help="weight or rating column (default: detected; else 1 per row)")
    recommend.add_argument("--event-col", help="event type column; 'purchase' rows are never recommended back")
    recommend.add_argument("--as-of", help="the 'now' (default: the latest timestamp in the file)")
    recommend.add_argument("--top-n", type=int, help="recommendations per user (default 20)")
    recommend.add_argument("--holdout-days", type=float, help="test window of the evaluation (default 7)")
    recommend.add_argument("--half-life-days", type=float, default=30.0, help="weights halve every this many days")
    recommend.add_argument("--factors", type=int, help="ALS factors (default: the tuned value)")
    recommend.add_argument("--regularization", type=float, help="ALS regularization")
    recommend.add_argument("--alpha", type=float, help="ALS confidence scaling")
    recommend.add_argument("--iterations", type=int, help="ALS sweeps")
    recommend.add_argument("--cf-weight", type=float, help="hybrid weight of collaborative scores (content: 1 - it)")
    recommend.add_argument("--no-eval", action="store_true", help="skip the holdout evaluation")
    recommend.set_defaults(func=run_recommend)


def evaluation_table(rows: pd.DataFrame, k: int = 10, slice_type: str = "overall") -> pd.DataFrame:
    """Model x metric table at cut-off k for one slice type (several slice values become a row level)."""
    model_column = "model_name" if "model_name" in rows else "model"
    value_column = "metric_value" if "metric_value" in rows else "value"
    chosen = rows.loc[(rows["k"] == k) & (rows["slice_type"] == slice_type)]
    index = [model_column] if slice_type == "overall" else ["slice_value", model_column]
    table = chosen.pivot_table(index=index, columns="metric", values=value_column, aggfunc="first")
    table = table[[metric for metric in METRIC_ORDER if metric in table.columns]]
    users = chosen.groupby(index)["n_users"].max()
    table["n_users"] = users.reindex(table.index).astype("Int64")
    order = {model: position for position, model in enumerate(MODEL_ORDER)}
    table = table.sort_index(key=lambda level: level.map(lambda value: (order.get(value, len(order)), str(value))))
    table.columns.name = None
    return table


def gate_line(rows: pd.DataFrame) -> str:
    """One line comparing hybrid and global popularity NDCG@10 overall (what the dbt quality gate checks)."""
    model_column = "model_name" if "model_name" in rows else "model"
    value_column = "metric_value" if "metric_value" in rows else "value"
    picked = rows.loc[(rows["slice_type"] == "overall") & (rows["metric"] == "ndcg") & (rows["k"] == 10)]
    values = picked.set_index(model_column)[value_column]
    if "hybrid" not in values or "global_popularity" not in values:
        return "quality gate: NDCG@10 of hybrid or global_popularity missing"
    hybrid, popularity = float(values["hybrid"]), float(values["global_popularity"])
    ratio = hybrid / popularity if popularity > 0 else float("inf")
    return f"hybrid NDCG@10 {hybrid:.4f} vs global popularity {popularity:.4f}: {ratio:.2f}x"


def run_eval(args: argparse.Namespace) -> int:
    from tailor.warehouse import connect

    with connect(args.db) as connection:
        rows = connection.sql(LATEST_RUN_QUERY).df()
    if rows.empty:
        print("no evaluation run in fct_recommendation_evaluation: build it first (dbt build)")
        return 1
    if args.json:
        for record in rows.sort_values(["model_name", "slice_type", "slice_value", "metric", "k"]).to_dict("records"):
            print(json.dumps(record, default=str))
        return 0
    first = rows.iloc[0]
    print(
        f"run {first['run_number']}  model {first['model_version']}  as of {first['as_of_at']:%Y-%m-%d %H:%M}"
        f"  cutoff {first['cutoff_at']:%Y-%m-%d %H:%M} ({first['holdout_days']:g} days held out)"
    )
    print(f"train pairs {first['train_pair_count']:,}  relevant test pairs {first['test_pair_count']:,}")
    print(f"\n{args.slice} @ k={args.k}")
    print(evaluation_table(rows, args.k, args.slice).to_string(float_format=lambda value: f"{value:.4f}"))
    print("\n" + gate_line(rows))
    return 0


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame (by extension; anything else is read as CSV)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def run_recommend(args: argparse.Namespace) -> int:
    from tailor.recommend.pipeline import (
        evaluate_split,
        fit_factors,
        holdout_split,
        interactions_at,
        score_recommendations,
        similar_item_table,
        standard_catalog,
        standard_events,
        standard_persons,
    )
    from tailor.recommend.settings import RecsSettings

    settings = settings_from_args(RecsSettings(), args)
    events = standard_events(
        read_table(args.interactions),
        user_col=args.user_col,
        item_col=args.item_col,
        time_col=args.time_col,
        weight_col=args.weight_col,
        event_col=args.event_col,
    )
    if events.empty:
        print("no usable interaction rows (user, item and a parseable timestamp are required)")
        return 1
    catalog = standard_catalog(read_table(args.catalog))
    persons = standard_persons(events, read_table(args.persons) if args.persons else None)
    as_of = pd.Timestamp(args.as_of) if args.as_of else events["occurred_at"].max()
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    # the same calls as the dbt models: factors once, then scoring and similar items from them
    interactions = interactions_at(events, as_of + pd.Timedelta(microseconds=1), args.half_life_days)
    factors = fit_factors(interactions, catalog, persons, settings, as_of=as_of)
    recommendations = score_recommendations(interactions, catalog, persons, factors, settings, as_of=as_of)
    similar = similar_item_table(factors, catalog, settings)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    recommendations.to_parquet(out / "recommendations.parquet", index=False)
    similar.to_parquet(out / "similar_items.parquet", index=False)
    factors.to_parquet(out / "factors.parquet", index=False)
    print(f"{len(recommendations):,} recommendations for {recommendations['person_id'].nunique():,} users")
    print(f"  by source: {recommendations['rec_source'].value_counts().to_dict()}")
    print(f"{len(similar):,} similar-item rows for {similar['item_id'].nunique():,} items")
    if not args.no_eval:
        split = holdout_split(events, as_of, settings.eval_holdout_days, args.half_life_days)
        cutoff = as_of - pd.Timedelta(days=settings.eval_holdout_days)
        evaluation = evaluate_split(split, catalog, persons, settings, cutoff)
        evaluation.to_parquet(out / "evaluation.parquet", index=False)
        print(f"\nholdout: train before {cutoff:%Y-%m-%d %H:%M}, test the {settings.eval_holdout_days:g} days after")
        k = 10 if 10 in settings.eval_ks else settings.eval_ks[0]
        print(f"overall @ k={k}")
        print(evaluation_table(evaluation, k).to_string(float_format=lambda value: f"{value:.4f}"))
        print("\n" + gate_line(evaluation))
    print(f"\nwrote {', '.join(sorted(path.name for path in out.glob('*.parquet')))} to {out}")
    return 0


def settings_from_args(settings: RecsSettings, args: argparse.Namespace) -> RecsSettings:
    """The tuned defaults with any command-line override applied."""
    cf = {
        key: getattr(args, key)
        for key in ("factors", "regularization", "alpha", "iterations")
        if getattr(args, key, None) is not None
    }
    hybrid: dict[str, object] = {}
    if getattr(args, "cf_weight", None) is not None:
        hybrid.update(cf_weight=args.cf_weight, content_weight=1.0 - args.cf_weight)
    if getattr(args, "top_n", None) is not None:
        hybrid["n"] = args.top_n
    settings = replace(settings, cf=replace(settings.cf, **cf), hybrid=replace(settings.hybrid, **hybrid))
    if getattr(args, "holdout_days", None) is not None:
        settings = replace(settings, eval_holdout_days=args.holdout_days)
    return settings
