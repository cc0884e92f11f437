"""Collaborative-filtering factors of every consenting person and every item the model knows (tailor.recommend).

Fitted once per build and stored, so scoring, similar items and folding in new persons share one fit.
"""

from tailor.frames import read_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.pipeline import fit_factors
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    as_of = read_frame(dbt.ref("int_as_of_resolved"))["as_of_at"]
    return fit_factors(
        read_frame(dbt.ref("int_recommendation_interactions_prepared").select(*INTERACTION_COLUMNS)),
        read_frame(dbt.ref("int_recommendation_items_prepared")),
        read_frame(dbt.ref("int_recommendation_persons_prepared")),
        settings,
        as_of=as_of.iloc[0] if len(as_of) else None,
    )
