"""What online serving folds fresh activity in against, one row per catalog item: whether it may be
recommended, its global popularity and its fitted factors (tailor.recommend.serving)."""

from tailor.frames import read_frame
from tailor.recommend.serving import serving_items
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = RecsSettings.from_mapping(dbt.config.meta_get("recs_options"))
    return serving_items(
        read_frame(dbt.ref("int_recommendation_interactions_prepared").select("person_id", "item_id", "weight")),
        read_frame(dbt.ref("int_recommendation_items_prepared").select("item_id", "is_active")),
        read_frame(dbt.ref("int_recommendation_factors_fitted").filter("item_id is not null")),
        settings,
    )
