"""Collaborative-filtering factors of every consenting person and every item the model knows (tailor.recommend).

Fitted on the data as known at the planned refit (int_recommendation_refit_planned) and kept by the builds
while the planned fit and the fingerprint of its input stay the same (tailor.recommend.refresh), so scoring,
similar items and folding in changed persons share one fit. Incremental: each build reads the stored fit and
replaces the table whole.
"""

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_from_frame
from tailor.recommend.refresh import RefitInputs, factors_of_consenting, fit_id, fitted_factors, rests_on_fit
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    plan = plan_from_frame(read_frame(dbt.ref("int_recommendation_refit_planned")))
    fingerprint = read_frame(dbt.ref("int_recommendation_refit_fingerprinted"))["input_fingerprint"]
    fit = fit_id(plan, settings, str(fingerprint.iloc[0]))
    persons = dbt.ref("int_recommendation_persons_prepared").select("person_id", "has_personalization_consent")
    # the refit's inputs are views, computed only when the stored fit is not the planned one
    interactions_refit = dbt.ref("int_recommendation_interactions_refit")
    items_refit = dbt.ref("int_recommendation_items_refit")
    persons_refit = dbt.ref("int_recommendation_persons_refit")
    stored = read_frame(session.sql(f"select * from {dbt.this}")) if dbt.is_incremental else None
    if not rests_on_fit(stored, fit):
        inputs = RefitInputs(read_frame(interactions_refit), read_frame(items_refit), read_frame(persons_refit))
        stored = fitted_factors(inputs, settings, plan, fit)
    return factors_of_consenting(stored, read_frame(persons))
