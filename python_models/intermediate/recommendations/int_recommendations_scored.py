"""Top-N recommendations for every person: hybrid of the stored factors and content, with popularity
fallbacks and the business rules (tailor.recommend)."""

from tailor.frames import read_frame
from tailor.recommend.data import INTERACTION_COLUMNS
from tailor.recommend.pipeline import score_recommendations
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    as_of = read_frame(dbt.ref("int_as_of_resolved"))["as_of_at"]
    return score_recommendations(
        read_frame(dbt.ref("int_recommendation_interactions_prepared").select(*INTERACTION_COLUMNS)),
        read_frame(dbt.ref("int_recommendation_items_prepared")),
        read_frame(dbt.ref("int_recommendation_persons_prepared")),
        read_frame(dbt.ref("int_recommendation_factors_fitted")),
        settings,
        as_of=as_of.iloc[0] if len(as_of) else None,
    )
