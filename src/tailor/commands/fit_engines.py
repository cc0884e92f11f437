"""`tailor recs-fit-engines`: the collaborative fit on `implicit` and on Spark MLlib's ALS, measured on the
quality gate's holdout of a built DuckDB warehouse (NDCG@10, fit wall and CPU seconds)."""

from __future__ import annotations

import argparse
import json
import os

GATE_INPUTS = {
    "train": "select * from int_recommendation_interactions_split where split_name = 'train'",
    "test": "select * from int_recommendation_interactions_split where split_name = 'test' and weight > 0",
    "catalog": "select * from int_recommendation_items_prepared",
    "persons": "select * from int_recommendation_persons_prepared",
    "as_of": "select as_of_at from int_as_of_resolved",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "recs-fit-engines",
        help="fit the recommender's factors with implicit and with Spark MLlib ALS; NDCG@10 on the gate's holdout",
    )
    parser.add_argument("--db", help="built warehouse file (default: TAILOR_DUCKDB_PATH)")
    parser.add_argument("-k", type=int, default=10, help="NDCG cut-off (default 10)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.set_defaults(func=run)


def read_gate_inputs(path: str) -> dict:
    """The frames int_recommendation_evaluations_computed reads, from a built warehouse (read-only)."""
    import duckdb

    from tailor.recommend.data import INTERACTION_COLUMNS

    with duckdb.connect(path, read_only=True) as connection:
        frames = {name: connection.sql(query).df() for name, query in GATE_INPUTS.items()}
    for split in ("train", "test"):
        frames[split] = frames[split][list(INTERACTION_COLUMNS)]
    return frames


def run(args: argparse.Namespace) -> int:
    import pandas as pd
    import yaml

    from tailor.landing import PROJECT_FILE
    from tailor.recommend.fit_engines import FitRun, compare_fit_engines
    from tailor.recommend.settings import RecsSettings
    from tailor.recommend.spark_als import spark_for_fit

    path = args.db or os.environ.get("TAILOR_DUCKDB_PATH", "warehouse/tailor.duckdb")
    frames = read_gate_inputs(path)
    # the project's settings, as the build's models get them
    settings = RecsSettings.from_mapping(yaml.safe_load(PROJECT_FILE.read_text())["vars"]["tailor"]["recommendations"])
    as_of = pd.Timestamp(frames["as_of"]["as_of_at"].iloc[0])
    cutoff = (as_of - pd.Timedelta(days=settings.eval_holdout_days)).tz_localize("UTC")
    runs = [
        FitRun("implicit", "implicit"),
        FitRun("spark_als, local session started for the fit", "spark_als"),
        FitRun("spark_als, session already running", "spark_als", spark_for_fit),
    ]
    table = compare_fit_engines(
        frames["train"], frames["test"], frames["catalog"], frames["persons"], settings, cutoff, runs, args.k
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    gap = abs(table[f"hybrid_ndcg@{args.k}"].iloc[0] - table[f"hybrid_ndcg@{args.k}"].iloc[1])
    print(f"hybrid NDCG@{args.k} gap implicit vs spark_als: {gap:.4f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(table.to_dict(orient="records"), handle, indent=2)
    return 0
