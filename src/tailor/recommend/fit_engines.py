"""The collaborative fit on each engine (`recommendations.fit_engine`), measured on the quality gate's own
holdout: the fit's wall and CPU seconds and the evaluation's NDCG, everything else (content, popularity,
exclusions, the persons evaluated) fitted once and shared, so the engines differ only in the factors."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from tailor.recommend.collaborative import CFModel, fit_cf
from tailor.recommend.hybrid import fit_recommender, with_cf_model
from tailor.recommend.pipeline import evaluate_train_test
from tailor.recommend.settings import RecsSettings


@dataclass(frozen=True)
class FitRun:
    """One fit to measure: a label, the engine, and the context it runs in (e.g. a Spark session held open)."""

    label: str
    engine: str
    context: Callable[[], AbstractContextManager[Any]] = nullcontext


def cpu_seconds() -> float:
    """User + system CPU of this process, its waited-for children and its live children (a local Spark JVM)."""
    from tailor.engines.spark_build import child_cpu_seconds

    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime + child_cpu_seconds()


def timed_fit(fit: Callable[[], CFModel]) -> tuple[CFModel, float, float]:
    """(model, wall seconds, CPU seconds) of one fit."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    model = fit()
    return model, time.perf_counter() - wall, cpu_seconds() - cpu


def compare_fit_engines(
    train: pd.DataFrame,
    test: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    settings: RecsSettings,
    cutoff: object,
    runs: Sequence[FitRun],
    k: int = 10,
) -> pd.DataFrame:
    """Per run: label, engine, fit wall and CPU seconds, users and items fitted, and NDCG@k of the als and
    hybrid models on the holdout `evaluate_train_test` scores (the gate's persons and relevant pairs)."""
    settings = replace(settings, eval_ks=tuple(sorted({*settings.eval_ks, k})))
    without_cf = replace(settings.hybrid, cf_weight=0.0, content_weight=1.0)
    base = fit_recommender(
        train, catalog, persons, content_params=settings.content, params=without_cf, as_of=cutoff
    )
    rows = []
    for run in runs:
        engine_settings = replace(settings, cf=replace(settings.cf, fit_engine=run.engine))
        with run.context():
            model, wall, cpu = timed_fit(lambda s=engine_settings: fit_cf(base.training, s.cf))
        evaluation = evaluate_train_test(
            train, test, catalog, persons, engine_settings, cutoff, fitted=with_cf_model(base, model)
        )
        ndcg = evaluation.loc[
            (evaluation["metric"] == "ndcg") & (evaluation["k"] == k) & (evaluation["slice_type"] == "overall")
        ].set_index("model")["value"]
        rows.append(
            {
                "run": run.label,
                "engine": run.engine,
                "fit_wall_s": round(wall, 2),
                "fit_cpu_s": round(cpu, 2),
                "users": len(model.user_ids),
                "items": len(model.item_ids),
                f"als_ndcg@{k}": float(ndcg.get("als", float("nan"))),
                f"hybrid_ndcg@{k}": float(ndcg.get("hybrid", float("nan"))),
                f"global_popularity_ndcg@{k}": float(ndcg.get("global_popularity", float("nan"))),
                "cores": os.cpu_count(),
            }
        )
    return pd.DataFrame(rows)
