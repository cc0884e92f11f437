"""Collaborative-filtering factors of every consenting person and every item the model knows (tailor.recommend).

Fitted once per build and stored, so scoring, similar items and folding in new persons share one fit.
"""

from tailor.recommend.pipeline import fit_factors
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = RecsSettings.from_mapping(dbt.config.meta_get("recs_options"))
    as_of = dbt.ref("int_as_of_resolved").df()["as_of_at"]
    return fit_factors(
        dbt.ref("int_recommendation_interactions_prepared").df(),
        dbt.ref("int_recommendation_items_prepared").df(),
        dbt.ref("int_recommendation_persons_prepared").df(),
        settings,
        as_of=as_of.iloc[0] if len(as_of) else None,
    )
