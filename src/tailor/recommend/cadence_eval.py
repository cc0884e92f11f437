"""How much a refit cadence costs in quality: fold-in between refits against a daily refit, day by day.

From a built warehouse (its weighted interactions, catalog and persons), replay the last days: refit on the
first day's end, then for each following day build the recommendations twice, (a) with a refit on the
day's data and (b) with the refit kept and the persons that changed since folded in
(`recommendations_between_refits`, the production path), and score both by NDCG@k on the next day's
positive interactions. Prints one line per day and the ratio of the means.

Run: python -m tailor.recommend.cadence_eval --warehouse warehouse/tailor.duckdb --days 7
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd
import yaml

from tailor.landing import PROJECT_FILE
from tailor.recommend.cadence import RefitPlan
from tailor.recommend.evaluate import user_metrics
from tailor.recommend.pipeline import interactions_at
from tailor.recommend.refresh import (
    RefitInputs,
    factors_of_consenting,
    fit_id,
    fitted_factors,
    recommendations_between_refits,
    refit_rows,
)
from tailor.recommend.settings import RecsSettings

PURCHASE = "purchase"


@dataclass(frozen=True)
class DayResult:
    """NDCG@k of both strategies for the build at the end of `day`, on the day after it."""

    day: pd.Timestamp
    persons_evaluated: int
    persons_folded_in: int
    daily_refit_ndcg: float
    fold_in_ndcg: float
    daily_refit_s: float
    fold_in_s: float


def load_events(warehouse: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """(events in `standard_events`' columns, catalog, persons, half-life days) from a built warehouse."""
    with duckdb.connect(warehouse, read_only=True) as con:
        events = con.execute(
            """select person_id, item_id, base_weight, occurred_at, interaction_type = 'purchase' as is_purchase
               from main.int_interactions_weighted order by person_id, item_id, occurred_at"""
        ).df()
        catalog = con.execute("select * from main.int_recommendation_items_prepared").df()
        persons = con.execute("select * from main.int_recommendation_persons_prepared").df()
    events["occurred_at"] = pd.to_datetime(events["occurred_at"]).dt.tz_localize("UTC")
    half_life = yaml.safe_load(PROJECT_FILE.read_text())["vars"]["tailor"]["interaction_half_life_days"]
    return events, catalog, persons, float(half_life)


def day_plan(refit_at: pd.Timestamp, as_of: pd.Timestamp) -> RefitPlan:
    """The plan of a build at `as_of` resting on the refit at `refit_at` (a midnight)."""
    refit_date = (refit_at - pd.Timedelta(days=1)).date()
    return RefitPlan(as_of_at=as_of, refit_date=refit_date, refit_reason="cadence", refit_every_days=7)


def next_day_relevant(events: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Positive person x item pairs of the day from `start` (UTC midnight)."""
    start_utc, end_utc = start.tz_localize("UTC"), (start + pd.Timedelta(days=1)).tz_localize("UTC")
    window = events.loc[(events["occurred_at"] >= start_utc) & (events["occurred_at"] < end_utc)]
    positive = window.groupby(["person_id", "item_id"], as_index=False)["base_weight"].sum()
    return positive.loc[positive["base_weight"] > 0, ["person_id", "item_id"]].astype(str)


def ndcg(recommendations: pd.DataFrame, relevant: pd.DataFrame, k: int) -> float:
    """Mean NDCG@k over the persons with a relevant pair who are recommended to (`user_metrics`)."""
    relevant = relevant.loc[relevant["person_id"].isin(set(recommendations["person_id"]))]
    if relevant.empty:
        return float("nan")
    return float(user_metrics(recommendations, relevant, [k])["ndcg"].mean())


def replay(
    events: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    half_life_days: float,
    days: int,
    k: int = 10,
) -> list[DayResult]:
    """The day-by-day comparison (module doc) over the last `days` + 2 days of `events`."""
    last_day = events["occurred_at"].max().tz_convert(None).normalize()
    refit_at = last_day - pd.Timedelta(days=days)  # end of the refit day; builds follow at each midnight
    refit_inputs = RefitInputs(interactions_at(events, refit_at.tz_localize("UTC"), half_life_days), catalog, persons)
    plan = day_plan(refit_at, refit_at)
    fit = fit_id(plan, settings, "replay")
    factors = factors_of_consenting(fitted_factors(refit_inputs, settings, plan, fit), persons)
    stored = refit_rows(refit_inputs, factors, settings, plan, fit)
    results = []
    for day in range(1, days + 1):
        as_of = refit_at + pd.Timedelta(days=day)
        today = RefitInputs(interactions_at(events, as_of.tz_localize("UTC"), half_life_days), catalog, persons)
        relevant = next_day_relevant(events, as_of)
        started = time.process_time()
        daily_plan = day_plan(as_of, as_of)
        daily_fit = fit_id(daily_plan, settings, f"daily-{day}")
        daily_factors = factors_of_consenting(fitted_factors(today, settings, daily_plan, daily_fit), persons)
        daily = refit_rows(today, daily_factors, settings, daily_plan, daily_fit)
        daily_s = time.process_time() - started
        started = time.process_time()
        known = events.loc[events["occurred_at"] < as_of.tz_localize("UTC")]
        changed = known.loc[known["occurred_at"] >= refit_at.tz_localize("UTC"), "person_id"].astype(str)
        stored = recommendations_between_refits(
            stored,
            lambda: refit_inputs,
            lambda today=today: today,
            factors,
            pd.Series(pd.unique(changed)),
            pd.Series([], dtype=str),
            settings,
            replace(plan, as_of_at=as_of),
            fit,
        )
        fold_s = time.process_time() - started
        folded_in = stored.loc[stored["scored_at"] > stored["factors_fitted_at"], "person_id"].nunique()
        results.append(
            DayResult(
                day=as_of - pd.Timedelta(days=1),
                persons_evaluated=int(relevant["person_id"].nunique()),
                persons_folded_in=int(folded_in),
                daily_refit_ndcg=ndcg(daily, relevant, k),
                fold_in_ndcg=ndcg(stored, relevant, k),
                daily_refit_s=daily_s,
                fold_in_s=fold_s,
            )
        )
    return results


def summary(results: Sequence[DayResult]) -> str:
    """One line per day and the ratio of the mean NDCGs (fold-in / daily refit)."""
    lines = ["day         persons  folded_in  ndcg_daily_refit  ndcg_fold_in  cpu_s_refit  cpu_s_fold_in"]
    for r in results:
        lines.append(
            f"{r.day:%Y-%m-%d}  {r.persons_evaluated:7d}  {r.persons_folded_in:9d}  {r.daily_refit_ndcg:16.4f}"
            f"  {r.fold_in_ndcg:12.4f}  {r.daily_refit_s:11.1f}  {r.fold_in_s:13.1f}"
        )
    daily = float(np.nanmean([r.daily_refit_ndcg for r in results]))
    folded = float(np.nanmean([r.fold_in_ndcg for r in results]))
    lines.append(f"mean NDCG daily refit {daily:.4f}, fold-in {folded:.4f}, ratio {folded / daily:.4f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", required=True, help="a built warehouse (DuckDB file)")
    parser.add_argument("--days", type=int, default=7, help="days replayed after the refit day")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args(argv)
    events, catalog, persons, half_life = load_events(args.warehouse)
    settings = RecsSettings()
    results = replay(events, catalog, persons, settings, half_life, args.days, args.k)
    print(f"persons in the profile: {persons['person_id'].nunique()}")
    print(summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
