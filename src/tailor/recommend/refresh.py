"""Recommendations between refits: keep the rows scored at the refit, fold in and rescore the persons that
changed (tailor.recommend.cadence says when the factors are refitted).

A refit's rows are scored from the data as known at the refit instant, so any later build can score them
again identically. On every later build up to the next refit, a person is folded in against the stored
item factors (`recalculate_users`, the exact ALS step) and rescored with today's data when any of these
holds: activity, consent or identity grouping changed since the refit (`int_recommendation_persons_changed`;
the refit trains persons as known at its instant, so a merge since is folded in, not refitted), the person has no
row of the refit (new since), a recommended item of that row changed in the catalog since (or is not active
today), or that row was served from popularity (popularity moves with everyone's data). Each reason, once
true, stays true up to the next refit (a product not active today: until it is active again, and then its
new version keeps it stale), so the persons rescored on a day do not depend on which earlier days were built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tailor.recommend.cadence import RefitPlan
from tailor.recommend.collaborative import CFModel, recalculate_users
from tailor.recommend.data import index_of
from tailor.recommend.fitting import fit_recommender, with_cf_model
from tailor.recommend.pipeline import FACTOR_COLUMNS, cf_model_from_factors, fit_factors, scored_rows
from tailor.recommend.scoring import OUTPUT_COLUMNS, recommend_from
from tailor.recommend.settings import RecsSettings
from tailor.recommend.tiers import REC_SOURCES, SEGMENT_POPULARITY

FITTED_FACTOR_COLUMNS: tuple[str, ...] = (*FACTOR_COLUMNS, "factors_fitted_at", "model_version", "fit_id")
SCORED_COLUMNS: tuple[str, ...] = (*OUTPUT_COLUMNS, "model_version", "factors_fitted_at", "scored_at", "fit_id")
# the columns that vary by row; the others are the same on every row resting on one fit (the fit id names
# its refit instant and model version), so they are added once, to the finished table (`stamped`)
ROW_COLUMNS: tuple[str, ...] = (*OUTPUT_COLUMNS, "scored_at")
POPULARITY_SOURCES: frozenset[str] = frozenset(REC_SOURCES[SEGMENT_POPULARITY:])


@dataclass(frozen=True)
class RefitInputs:
    """The recommender's input as known at the refit instant: interactions, catalog, persons."""

    interactions: pd.DataFrame
    catalog: pd.DataFrame
    persons: pd.DataFrame


def fit_id(plan: RefitPlan, settings: RecsSettings, input_fingerprint: str) -> str:
    """The id of a fit: its refit instant, model version and the fingerprint of what it read
    (int_recommendation_refit_fingerprinted). Equal ids, equal fits."""
    return f"{plan.refit_at:%Y-%m-%d %H:%M:%S}|{settings.model_version()}|{input_fingerprint}"


def rests_on_fit(stored: pd.DataFrame | None, fit: str) -> bool:
    """Whether stored rows (factors or recommendations) all come from the fit `fit`."""
    return stored is not None and not stored.empty and bool((stored["fit_id"] == fit).all())


def fitted_factors(inputs: RefitInputs, settings: RecsSettings, plan: RefitPlan, fit: str) -> pd.DataFrame:
    """The refit's factor table (`fit_factors` on the input as of the refit instant), stamped with it."""
    factors = fit_factors(inputs.interactions, inputs.catalog, inputs.persons, settings, as_of=plan.refit_at)
    return factors.assign(factors_fitted_at=plan.refit_at, model_version=settings.model_version(), fit_id=fit)[
        list(FITTED_FACTOR_COLUMNS)
    ]


def factors_of_consenting(factors: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Item rows, and person rows of persons who hold personalization consent today: a person who revoked it
    or left the profile since the refit keeps no factors (they are rescored without them)."""
    consenting = persons.loc[persons["has_personalization_consent"].fillna(False).astype(bool), "person_id"]
    keep = factors["person_id"].isna() | factors["person_id"].isin(set(consenting.astype(str)))
    return factors.loc[keep].reset_index(drop=True)


def stamped(rows: pd.DataFrame, settings: RecsSettings, plan: RefitPlan, fit: str) -> pd.DataFrame:
    """`rows` (ROW_COLUMNS) with the columns their fit fixes, as SCORED_COLUMNS. The two strings are object
    columns holding one shared string: 8 bytes a row, where a string column copies the ~90 characters of
    the fit id into every row (200 MB of the 2.1M rows at scale `m`)."""

    def same_string(value: str) -> pd.Series:
        shared = np.empty(len(rows), dtype=object)
        shared.fill(value)  # one object in every slot (np.full would make a copy of the string per row)
        return pd.Series(shared, index=rows.index, dtype=object, copy=False)

    return rows.assign(
        model_version=same_string(settings.model_version()), factors_fitted_at=plan.refit_at, fit_id=same_string(fit)
    )[list(SCORED_COLUMNS)]


def refit_rows(
    inputs: RefitInputs, factors: pd.DataFrame, settings: RecsSettings, plan: RefitPlan, fit: str
) -> pd.DataFrame:
    """Every person's rows as scored at the refit instant, from the refit's input and factors."""
    return stamped(refit_scores(inputs, factors, settings, plan), settings, plan, fit)


def refit_scores(inputs: RefitInputs, factors: pd.DataFrame, settings: RecsSettings, plan: RefitPlan) -> pd.DataFrame:
    """`refit_rows` without the columns the fit fixes (ROW_COLUMNS)."""
    rows = scored_rows(inputs.interactions, inputs.catalog, inputs.persons, factors, settings, as_of=plan.refit_at)
    return rows.assign(scored_at=plan.refit_at)[list(ROW_COLUMNS)]


def rows_on_fit(stored: pd.DataFrame | None, fit: str) -> pd.DataFrame | None:
    """The stored rows (ROW_COLUMNS) when there are some and all rest on the fit `fit`, else None. Rows
    without a fit_id column were read with `rows_on_fit_sql`, which returns rows only when they do."""
    if stored is None or stored.empty or ("fit_id" in stored and not rests_on_fit(stored, fit)):
        return None
    return stored[list(ROW_COLUMNS)]


def rows_on_fit_sql(table: str, fit: str) -> str:
    """A query for the stored rows of `table` (ROW_COLUMNS) that returns them only when every row rests on
    the fit `fit` (`rows_on_fit`), so that a build that refits never reads them, and one that keeps them
    reads neither the fit's columns nor their strings."""
    literal = "'" + fit.replace("'", "''") + "'"
    return (
        f"select {', '.join(f'stored.{column}' for column in ROW_COLUMNS)} from {table} as stored"
        f" cross join (select min(fit_id) as lowest, max(fit_id) as highest from {table}) as fits"
        f" where fits.lowest = {literal} and fits.highest = {literal}"
    )


def persons_to_rescore(
    base: pd.DataFrame,
    person_ids: pd.Series,
    changed_persons: pd.Series,
    changed_items: pd.Series,
    refit_at: pd.Timestamp,
) -> np.ndarray:
    """Sorted ids of today's persons to fold in and rescore (module doc): changed, without a refit row, or
    with a refit row that holds a changed item or a popularity row; rows scored after the refit instant
    `refit_at` mark persons rescored before, who stay rescored."""
    today = pd.Index(pd.unique(person_ids.astype(str)))
    rescored_before = base["scored_at"] > refit_at
    stale = rescored_before | base["rec_source"].isin(POPULARITY_SOURCES) | base["item_id"].isin(set(changed_items))
    rescore = (
        today.intersection(pd.Index(changed_persons.astype(str)))
        .union(today.difference(pd.Index(base["person_id"].astype(str))))
        .union(today.intersection(pd.Index(base.loc[stale, "person_id"].astype(str))))
    )
    return np.sort(rescore.to_numpy(dtype=object))


def fold_in(model: CFModel, weights: sp.csr_matrix, item_ids: np.ndarray, person_ids: np.ndarray) -> CFModel:
    """`person_ids` folded into the model: one exact ALS step each (`recalculate_users`) on their `weights`
    (persons x `item_ids`; items the fit did not know are left out). Persons with nothing the model knows
    get no factors, so they fall to content or popularity as in a full fit."""
    positions = index_of(model.item_ids, pd.Series(item_ids, dtype=object))
    known = np.flatnonzero(positions >= 0)
    to_model = sp.csr_matrix(
        (np.ones(len(known), dtype=np.float32), (known, positions[known])),
        shape=(len(item_ids), len(model.item_ids)),
    )
    folded = recalculate_users(model, sp.csr_matrix(weights @ to_model))
    has_factors = folded.any(axis=1)
    return replace(model, user_factors=folded[has_factors], user_ids=person_ids[has_factors])


def folded_in_rows(
    interactions: pd.DataFrame,
    catalog: pd.DataFrame,
    persons: pd.DataFrame,
    factors: pd.DataFrame,
    rescore: np.ndarray,
    settings: RecsSettings,
    plan: RefitPlan,
) -> pd.DataFrame:
    """Rows (ROW_COLUMNS) of the `rescore` persons from today's data: popularity, exclusions and content as
    a full build fits them (over everyone), collaborative factors folded in against the stored item factors."""
    if len(rescore) == 0:
        return pd.DataFrame({column: [] for column in ROW_COLUMNS})
    without_cf = replace(settings.hybrid, cf_weight=0.0)
    fitted = fit_recommender(
        interactions, catalog, persons, content_params=settings.content, params=without_cf, as_of=plan.as_of_at
    )
    if settings.hybrid.cf_weight > 0:
        # a hash lookup: np.isin on object arrays took 140 s here at `m` (108k persons)
        chosen = np.flatnonzero(pd.Index(fitted.person_ids).isin(rescore))
        training = fitted.training
        items = cf_model_from_factors(factors.loc[factors["item_id"].notna()], settings.cf)
        model = fold_in(items, training.matrix[chosen], training.item_ids, fitted.person_ids[chosen])
        fitted = with_cf_model(fitted, model)
    scored = recommend_from(fitted, settings.hybrid, person_ids=rescore, threads=settings.score_threads)
    return scored.assign(scored_at=plan.as_of_at)[list(ROW_COLUMNS)]


def combined_rows(base: pd.DataFrame, kept: np.ndarray, fresh: pd.DataFrame) -> pd.DataFrame:
    """The `kept` positions of `base` and all of `fresh` (ROW_COLUMNS) in one frame sorted by person and
    rank, built a column at a time: one copy of each column, where selecting, concatenating and sorting
    whole frames made three copies of every row at once."""
    parts = [(base, kept), (fresh, np.arange(len(fresh)))]
    parts = [(frame, positions) for frame, positions in parts if len(positions)] or [(fresh, np.arange(0))]

    def column(name: str) -> pd.Series:
        pieces = [frame[name].take(positions) for frame, positions in parts]
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)

    persons, _ = pd.factorize(column("person_id"), sort=True)
    order = np.lexsort((column("rank").to_numpy(dtype=np.int64), persons))
    return pd.DataFrame({name: column(name).take(order).reset_index(drop=True) for name in ROW_COLUMNS})


def recommendations_between_refits(
    stored: pd.DataFrame | None,
    refit_inputs: Callable[[], RefitInputs],
    today_inputs: Callable[[], RefitInputs],
    factors: pd.DataFrame,
    changed_persons: pd.Series,
    changed_items: pd.Series,
    settings: RecsSettings,
    plan: RefitPlan,
    fit: str,
) -> pd.DataFrame:
    """Today's recommendation rows: the stored rows when they rest on the fit `fit` (`rows_on_fit`), else
    the refit's own rows (scored from `refit_inputs()`, read only then); the persons to rescore folded in
    with today's data (`today_inputs()`, read after the refit's rows are scored and its inputs released:
    the refit's inputs are views over the history, and computing them holds a warehouse's join memory
    beside whatever this process holds then); rows of persons no longer in today's profile dropped."""
    base = rows_on_fit(stored, fit)
    del stored
    if base is None:
        base = refit_scores(refit_inputs(), factors, settings, plan)
    today = today_inputs()
    # a product not active today is stale too, even where the catalog gave no new version time
    catalog = today.catalog
    active = set(catalog.loc[catalog["is_active"].fillna(False).astype(bool), "item_id"].astype(str))
    stale_items = pd.concat([changed_items.astype(str), base.loc[~base["item_id"].isin(active), "item_id"]])
    rescore = persons_to_rescore(base, today.persons["person_id"], changed_persons, stale_items, plan.refit_at)
    fresh = folded_in_rows(today.interactions, today.catalog, today.persons, factors, rescore, settings, plan)
    today_ids = set(today.persons["person_id"].astype(str))
    del today
    kept = np.flatnonzero(base["person_id"].isin(today_ids) & ~base["person_id"].isin(set(rescore)))
    return stamped(combined_rows(base, kept, fresh), settings, plan, fit)
