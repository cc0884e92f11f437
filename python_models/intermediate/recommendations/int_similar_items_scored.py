"""Most similar active items per catalog item, from the stored item factors (content for new items)."""

from tailor.frames import read_frame
from tailor.recommend.pipeline import similar_item_table
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    return similar_item_table(
        # the item rows only: the person rows (one per person) play no part in item-to-item similarity
        read_frame(dbt.ref("int_recommendation_factors_fitted").filter("item_id is not null")),
        read_frame(dbt.ref("int_recommendation_items_prepared")),
        settings,
    )
