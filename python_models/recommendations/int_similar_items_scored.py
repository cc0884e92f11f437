"""Most similar active items per catalog item, from the stored item factors (content for new items)."""

from tailor.frames import read_frame
from tailor.recommend.pipeline import similar_item_table
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = RecsSettings.from_mapping(dbt.config.meta_get("recs_options"))
    return similar_item_table(
        read_frame(dbt.ref("int_recommendation_factors_fitted")),
        read_frame(dbt.ref("int_recommendation_items_prepared")),
        settings,
    )
