"""The floor dbt is compared against: the same work done directly, without dbt around it.

SQL models: their compiled SQL run in bare DuckDB (`create table ... as`) against the same warehouse, into a
scratch schema dropped afterwards. The ALS step: the training matrix read with one query, then a bare
`implicit` fit and batch `recommend`, with the project's hyperparameters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from tailor.privacy.salt import pii_salt, set_session_salt

FLOOR_SCHEMA = "bench_floor"

# The training signal of the collaborative model: consented weights summed per person x item, kept when
# positive, for consenting persons and catalog items only (what tailor.recommend.hybrid.fit_recommender does).
ALS_TRAINING_SQL = """
with pairs as (
    select interactions.person_id, interactions.item_id, sum(interactions.weight) as weight
    from int_recommendation_interactions_prepared as interactions
    inner join int_recommendation_persons_prepared as persons
        on interactions.person_id = persons.person_id and persons.has_personalization_consent
    inner join int_recommendation_items_prepared as items
        on interactions.item_id = items.item_id
    where interactions.weight is not null
    group by interactions.person_id, interactions.item_id
    having sum(interactions.weight) > 0
)
select
    dense_rank() over (order by person_id) - 1 as row_index,
    dense_rank() over (order by item_id) - 1 as col_index,
    weight
from pairs
"""


@dataclass(frozen=True)
class FloorTiming:
    """One step timed three ways: done directly (`bare_seconds`), as the dbt model run alone
    (`dbt_seconds`) and inside the full build, sharing the machine with dbt's other threads (`build_seconds`).

    `is_comparable` is false where the dbt model does more than the bare step (shown, not averaged)."""

    name: str
    kind: str
    bare_seconds: float
    dbt_seconds: float | None
    build_seconds: float | None = None
    is_comparable: bool = True

    @property
    def overhead_ratio(self) -> float | None:
        """dbt's own overhead: the model run alone over the bare step."""
        return _ratio(self.dbt_seconds, self.bare_seconds)

    @property
    def build_ratio(self) -> float | None:
        """The model's time in the full build over the bare step (adds waiting for the other threads)."""
        return _ratio(self.build_seconds, self.bare_seconds)


def _ratio(numerator: float | None, denominator: float) -> float | None:
    if numerator is None or denominator <= 0:
        return None
    return numerator / denominator


def _apply_settings(con: duckdb.DuckDBPyConnection, settings: Mapping[str, object]) -> None:
    for key, value in settings.items():
        con.execute(f"set {key} = '{value}'" if isinstance(value, str) else f"set {key} = {value}")


def time_sql(db_path: Path, name: str, compiled_sql: str, settings: Mapping[str, object], repeats: int = 1) -> float:
    """Best-of-`repeats` seconds of `create table <scratch>.<name> as (<compiled_sql>)` in bare DuckDB."""
    best = float("inf")
    con = duckdb.connect(str(db_path))
    try:
        set_session_salt(con, pii_salt())  # the compiled SQL reads the salt from the session, as in dbt
        _apply_settings(con, settings)
        con.execute(f"create schema if not exists {FLOOR_SCHEMA}")
        for _ in range(max(repeats, 1)):
            started = time.perf_counter()
            con.execute(f'create or replace table {FLOOR_SCHEMA}."{name}" as (\n{compiled_sql.rstrip().rstrip(";")}\n)')
            best = min(best, time.perf_counter() - started)
        con.execute(f"drop schema {FLOOR_SCHEMA} cascade")
    finally:
        con.close()
    return best


def training_matrix(con: duckdb.DuckDBPyConnection) -> sp.csr_matrix:
    """Persons x items training weights, read from the built warehouse with one query."""
    frame = con.sql(ALS_TRAINING_SQL).fetchnumpy()
    rows, cols = frame["row_index"].astype(np.int64), frame["col_index"].astype(np.int64)
    shape = (int(rows.max()) + 1 if rows.size else 0, int(cols.max()) + 1 if cols.size else 0)
    return sp.csr_matrix((frame["weight"].astype(np.float32), (rows, cols)), shape=shape)


def time_als(
    db_path: Path,
    *,
    factors: int,
    regularization: float,
    iterations: int,
    alpha: float,
    top_n: int,
    random_state: int = 42,
    settings: Mapping[str, object] | None = None,
) -> dict[str, float]:
    """Seconds to read the training matrix, fit bare implicit ALS and recommend `top_n` items to everyone."""
    from implicit.cpu.als import AlternatingLeastSquares

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        _apply_settings(con, settings or {})
        started = time.perf_counter()
        weights = training_matrix(con)
    finally:
        con.close()
    read_seconds = time.perf_counter() - started
    confidence = weights.copy()
    confidence.data = 1.0 + alpha * confidence.data
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors, regularization=regularization, alpha=1.0, iterations=iterations, random_state=random_state
        )
        started = time.perf_counter()
        if confidence.nnz:
            model.fit(confidence, show_progress=False)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if confidence.nnz:
            model.recommend(np.arange(confidence.shape[0]), confidence, N=top_n, filter_already_liked_items=True)
        recommend_seconds = time.perf_counter() - started
    return {
        "read_seconds": read_seconds,
        "fit_seconds": fit_seconds,
        "recommend_seconds": recommend_seconds,
        "n_persons": float(weights.shape[0]),
        "n_items": float(weights.shape[1]),
        "nnz": float(weights.nnz),
    }
