"""When the collaborative factors are refitted, and which persons are rescored between refits.

Refit dates are anchored: with `refit_every_days` N, the cadence refit of a build at as-of date D is
R = D - ((D - REFIT_EPOCH) mod N), whatever day the previous build ran. A retraining flag raised by model
monitoring (the first flagged run of a streak) or an erasure request moves R forward to its date. The fit
uses the data as known at the refit instant (the end of day R), so a full refresh at D finds the same R and
fits the same factors as the incremental build that refitted on R. The rules for rescoring between refits
are monotone (once a person qualifies they do so on every later day up to the next refit), so a full
refresh also rescores the same persons (docs/recommendations.md, "Refit cadence").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

# a Monday: with the default 7 days, cadence refits fall on Mondays
REFIT_EPOCH = dt.date(1970, 1, 5)
CADENCE, RETRAINING_FLAG, ERASURE = "cadence", "retraining_flag", "erasure"
PLAN_COLUMNS: tuple[str, ...] = ("as_of_at", "refit_date", "refit_at", "refit_reason", "refit_every_days")


@dataclass(frozen=True)
class RefitPlan:
    """The refit a build at `as_of_at` rests on: its date, the instant its data is as of, and why."""

    as_of_at: pd.Timestamp
    refit_date: dt.date
    refit_reason: str
    refit_every_days: int

    @property
    def refit_at(self) -> pd.Timestamp:
        """The end of the refit date (exclusive): the fit reads what was known before it, decayed to it."""
        return pd.Timestamp(self.refit_date) + pd.Timedelta(days=1)


def cadence_refit_date(as_of_date: dt.date, every_days: int) -> dt.date:
    """The latest anchored refit date on or before `as_of_date` (every `every_days` days from REFIT_EPOCH)."""
    return as_of_date - dt.timedelta(days=(as_of_date - REFIT_EPOCH).days % max(every_days, 1))


def flag_refit_date(runs: pd.DataFrame, as_of_at: pd.Timestamp) -> dt.date | None:
    """Date of the latest monitoring run up to `as_of_at` that raised the retraining flag after an unflagged
    run (the first of a streak: the flag stays up while the degraded evaluation is the stored one)."""
    known = runs.loc[pd.to_datetime(runs["as_of_at"]) <= as_of_at].sort_values("as_of_at", kind="stable")
    flagged = known["is_retraining_needed"].fillna(False).astype(bool).to_numpy()
    rising = flagged & ~np.concatenate([[False], flagged[:-1]])
    if not rising.any():
        return None
    return pd.Timestamp(known["as_of_at"].to_numpy()[rising][-1]).date()


def erasure_refit_date(requested_at: pd.Series, as_of_at: pd.Timestamp) -> dt.date | None:
    """Date of the latest erasure request (at most the as-of date): the erased person's data must leave the
    item factors, and only a refit on data without them does that."""
    if requested_at.dropna().empty:
        return None
    return min(pd.Timestamp(requested_at.dropna().max()), as_of_at).date()


def plan_refit(
    as_of_at: pd.Timestamp, every_days: int, monitoring_runs: pd.DataFrame, erasure_requested_at: pd.Series
) -> RefitPlan:
    """The refit of a build at `as_of_at`: the latest of the cadence date, the flag date and the erasure date
    (on a tie the cadence wins, then the flag)."""
    as_of_at = pd.Timestamp(as_of_at)
    candidates = [
        (cadence_refit_date(as_of_at.date(), every_days), 2, CADENCE),
        (flag_refit_date(monitoring_runs, as_of_at), 1, RETRAINING_FLAG),
        (erasure_refit_date(erasure_requested_at, as_of_at), 0, ERASURE),
    ]
    refit_date, _, reason = max(candidate for candidate in candidates if candidate[0] is not None)
    return RefitPlan(as_of_at=as_of_at, refit_date=refit_date, refit_reason=reason, refit_every_days=every_days)


def plan_frame(plan: RefitPlan) -> pd.DataFrame:
    """The plan as the one-row table `int_recommendation_refit_planned`."""
    return pd.DataFrame(
        {
            "as_of_at": [plan.as_of_at],
            "refit_date": [plan.refit_date],
            "refit_at": [plan.refit_at],
            "refit_reason": [plan.refit_reason],
            "refit_every_days": [plan.refit_every_days],
        }
    )[list(PLAN_COLUMNS)]


def plan_from_frame(frame: pd.DataFrame) -> RefitPlan:
    """The plan back from its one-row table."""
    row = frame.iloc[0]
    return RefitPlan(
        as_of_at=pd.Timestamp(row["as_of_at"]),
        refit_date=pd.Timestamp(row["refit_date"]).date(),
        refit_reason=str(row["refit_reason"]),
        refit_every_days=int(row["refit_every_days"]),
    )
