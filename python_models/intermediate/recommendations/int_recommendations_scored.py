"""Top-N recommendations for every person: hybrid of the stored factors and content, with popularity
fallbacks and the business rules (tailor.recommend). Rows scored at the planned refit are kept; persons
whose data changed since are folded in and rescored with today's data (tailor.recommend.refresh).
Incremental: each build reads the stored rows and replaces the table whole."""

from tailor.frames import read_frame
from tailor.recommend.cadence import plan_from_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.refresh import RefitInputs, fit_id, recommendations_between_refits
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    plan = plan_from_frame(read_frame(dbt.ref("int_recommendation_refit_planned")))
    fingerprint = read_frame(dbt.ref("int_recommendation_refit_fingerprinted"))["input_fingerprint"]
    factors = read_frame(dbt.ref("int_recommendation_factors_fitted"))
    changed_persons = read_frame(dbt.ref("int_recommendation_persons_changed"))
    # the refit's inputs are views, computed only when the stored rows do not rest on the planned refit
    interactions_refit = dbt.ref("int_recommendation_interactions_refit")
    items_refit = dbt.ref("int_recommendation_items_refit")
    persons_refit = dbt.ref("int_recommendation_persons_refit")
    interactions = dbt.ref("int_recommendation_interactions_prepared")
    items = dbt.ref("int_recommendation_items_prepared")
    persons = dbt.ref("int_recommendation_persons_prepared")
    return recommendations_between_refits(
        read_frame(session.sql(f"select * from {dbt.this}")) if dbt.is_incremental else None,
        lambda: RefitInputs(
            read_frame(interactions_refit.select(*INTERACTION_COLUMNS)),
            read_frame(items_refit),
            read_frame(persons_refit),
        ),
        RefitInputs(read_frame(interactions.select(*INTERACTION_COLUMNS)), read_frame(items), read_frame(persons)),
        factors,
        changed_persons["person_id"],
        read_frame(items_refit.filter("is_changed_since_refit").select("item_id"))["item_id"],
        settings,
        plan,
        fit_id(plan, settings, str(fingerprint.iloc[0])),
    )
