"""Sample-data generator with planted truth: a simulated shop whose raw exports land per tailor.landing.

``generate(SCALES["tiny"], "data")`` writes data/landing/tiny/ (the raw exports), data/pending/tiny/<dt>/
(held-back days in the same layout) and data/truth/tiny/ (what the pipeline should find);
``land_day("tiny", "data")`` moves the next held-back day into the landing folder.

Event ``properties`` (JSON text) carry per event type: product_view {price, currency, source},
add_to_cart {price, currency, quantity}, remove_from_cart {quantity}, search {query, results},
scroll_depth {percent, page_type}, video_play {video_id, seconds}, feature_use {feature},
checkout_start {cart_value, currency, items}, recommendation_impression / recommendation_click
{slot, placement}. Catalog and event prices are USD; order amounts are in the order's currency.
"""

from tailor.generator.config import SCALES, ScaleConfig
from tailor.generator.landday import land_day
from tailor.generator.pipeline import generate

__all__ = ["SCALES", "ScaleConfig", "generate", "land_day"]
