"""Scales, calendar and persona parameters of the sample-data generator.

Everything that shapes the simulated world lives here as plain data, so a test can build a smaller world
from the same parameters (``ScaleConfig`` is a frozen dataclass; ``dataclasses.replace`` makes variants).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# The simulation never reads the wall clock: the landed period always ends on this UTC date.
END_DATE = dt.date(2026, 10, 31)
DAY_S = 86_400


@dataclass(frozen=True)
class ScaleConfig:
    name: str
    n_persons: int
    n_items: int
    days: int
    chunk_persons: int  # persons simulated (and written as one part file per partition) at a time
    events_per_person_day: float = 1.1
    n_categories: int = 16
    brands_per_category: int = 6

    @property
    def end_date(self) -> dt.date:
        return END_DATE

    @property
    def start_date(self) -> dt.date:
        return END_DATE - dt.timedelta(days=self.days - 1)


SCALES: dict[str, ScaleConfig] = {
    "tiny": ScaleConfig("tiny", n_persons=500, n_items=200, days=30, chunk_persons=500),
    "sample": ScaleConfig("sample", n_persons=5_000, n_items=1_000, days=90, chunk_persons=5_000),
    "m": ScaleConfig("m", n_persons=100_000, n_items=5_000, days=90, chunk_persons=25_000,
                     brands_per_category=15),
    "l": ScaleConfig("l", n_persons=1_000_000, n_items=50_000, days=90, chunk_persons=25_000,
                     brands_per_category=40),
}

PERSONAS: tuple[str, ...] = (
    "loyal_high_value",
    "engaged_browser",
    "bargain_hunter",
    "new_visitor",
    "lapsing_customer",
    "content_video_heavy",
)
LOYAL, BROWSER, BARGAIN, NEW, LAPSING, VIDEO = range(len(PERSONAS))

# One row per persona (order of PERSONAS). Sessions are relative; they are rescaled so the total volume
# meets ScaleConfig.events_per_person_day.
PERSONA_SHARE = np.array([0.12, 0.20, 0.18, 0.20, 0.15, 0.15])
SESSIONS_PER_90D = np.array([30.0, 42.0, 22.0, 3.0, 16.0, 30.0])
EVENTS_PER_SESSION = np.array([6.0, 8.0, 6.0, 4.0, 5.0, 6.0])
HAS_ACCOUNT = np.array([0.98, 0.65, 0.92, 0.30, 0.95, 0.70])
PURCHASE_PER_SESSION = np.array([0.22, 0.012, 0.11, 0.06, 0.14, 0.02])
# Sampling mode of items per persona: popular / cheap / premium (within the chosen category).
ITEM_MODE = np.array(
    [
        [0.45, 0.05, 0.50],
        [0.80, 0.10, 0.10],
        [0.25, 0.75, 0.00],
        [0.80, 0.10, 0.10],
        [0.60, 0.20, 0.20],
        [0.75, 0.15, 0.10],
    ]
)
# Probability that a coupon discount is applied to an order, and its typical rate.
COUPON_PROB = np.array([0.10, 0.10, 0.75, 0.15, 0.15, 0.10])
COUPON_RATE = np.array([0.10, 0.10, 0.25, 0.10, 0.10, 0.10])
# Browse-event mix per persona over BROWSE_TYPES.
BROWSE_TYPES: tuple[str, ...] = (
    "product_view",
    "add_to_cart",
    "search",
    "scroll_depth",
    "video_play",
    "feature_use",
    "recommendation_impression",
)
BROWSE_MIX = np.array(
    [
        [0.46, 0.06, 0.10, 0.12, 0.04, 0.05, 0.17],
        [0.52, 0.04, 0.14, 0.12, 0.03, 0.03, 0.12],
        [0.47, 0.08, 0.19, 0.08, 0.02, 0.04, 0.12],
        [0.46, 0.03, 0.16, 0.15, 0.05, 0.03, 0.12],
        [0.46, 0.05, 0.12, 0.12, 0.04, 0.06, 0.15],
        [0.16, 0.02, 0.05, 0.26, 0.33, 0.11, 0.07],
    ]
)
VIDEO_LOG_SECONDS = np.array([3.2, 3.3, 3.0, 3.2, 3.2, 5.4])  # mean of log(seconds)
SCROLL_LEVELS = np.array([25, 50, 75, 100])
SCROLL_MIX = np.array(
    [
        [0.30, 0.35, 0.25, 0.10],
        [0.15, 0.35, 0.35, 0.15],
        [0.40, 0.35, 0.20, 0.05],
        [0.40, 0.35, 0.20, 0.05],
        [0.35, 0.35, 0.20, 0.10],
        [0.03, 0.07, 0.35, 0.55],
    ]
)
REC_CTR = np.array([0.09, 0.06, 0.05, 0.05, 0.05, 0.03])
# exp_rec_carousel: probability that an assigned unit converts in the window (control).
CONVERSION_BASE = np.array([0.55, 0.06, 0.32, 0.12, 0.20, 0.09])
FAVORITE_AFFINITY = 0.82  # share of item picks from the person's favorite categories
FAVORITE_BRAND_SHARE = 0.30  # share of favorite-category picks from the favorite brand
FAVORITE_SLOT_SKEW = 1.6  # favorite slot = floor(u ** skew * n_fav): the first favorites are picked most

# Identity and quality rates.
LATE_EVENT_SHARE = 0.02
DIRTY_SHARE = 0.01
DUPLICATE_CONTACT_SHARE = 0.05
MISSING_DEMOGRAPHICS_SHARE = 0.15
IMPLAUSIBLE_BIRTHDATE_SHARE = 0.005  # contacts whose birthdate gives an age outside 0-120
CRM_ONLY_SHARE = 0.03  # persons known to the CRM only (no web activity)
ERASURE_SHARE = 0.01
PERSONALIZATION_REVOKE_SHARE = 0.10
PERSONALIZATION_REGRANT_SHARE = 0.35
MARKETING_NEVER_SHARE = 0.20
ANALYTICS_DENY_SHARE = 0.03
SHARED_EMAILS: tuple[str, ...] = ("test@example.com", "noreply@example.com")
PLACEHOLDER_USER_IDS: tuple[str, ...] = ("0", "null", "anonymous", "undefined")
CURRENCY_RATES_TO_USD: dict[str, float] = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}

# Web activity (activity.py, streams.py). Relative session starts per UTC hour (evening peak), normalized to shares.
HOUR_WEIGHT = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.8, 4, 4.2, 4, 3.8, 3.8, 4, 4.5, 5.5, 6.5,
                        7, 6, 4, 2], dtype=float)
HOUR_SHARE = HOUR_WEIGHT / HOUR_WEIGHT.sum()
PRIMARY_DEVICE_SHARE = 0.6  # sessions on the person's first device; the rest pick any of their devices
FIRST_VISIT_LOGIN_SHARE = 0.88  # account holders' devices signed in on their first session
LATER_LOGIN_P = 0.5  # the others sign in after a geometric(p) number of sessions
NEVER_SIGNED_IN_SHARE = 0.015  # secondary devices never signed in
REIDENTIFY_SHARE = 0.08  # signed-in sessions that send another identify call
# Browse events: product_view source (category / search / direct; recommendation comes from rec clicks),
# recommendation slots 1..REC_SLOTS, and add_to_cart quantities (1, else 2).
BROWSE_SOURCE_SHARE = np.array([0.5, 0.3, 0.2])
REC_SLOTS = 6
BROWSE_SINGLE_QTY_SHARE = 0.9
CART_REMOVE_SHARE = 0.25  # browse add_to_cart events followed by a remove_from_cart
# Purchase funnels: 1 + binomial(n, p) items per order, quantity 1 or uniform in [lo, hi).
FUNNEL_EXTRA_ITEMS_N = 2
FUNNEL_EXTRA_ITEMS_P = 0.3
FUNNEL_SINGLE_QTY_SHARE = 0.85
FUNNEL_MULTI_QTY = (2, 4)
# Event timing: exponential gaps between events (plus a minimum), the first event after the session start,
# and the share of a played video watched before the next event.
EVENT_GAP_MEAN_S = 18.0
EVENT_GAP_MIN_S = 1.0
FIRST_EVENT_DELAY_S = (1.0, 5.0)
VIDEO_WATCHED_SHARE = 0.9
VIDEO_LOG_SECONDS_SD = 0.6  # spread of log(seconds) around VIDEO_LOG_SECONDS
VIDEO_SECONDS_RANGE = (3, 3600)
# Companion events sit between browse events: offsets in the session's event order (seq) from the browse
# event they belong to.
SEQ_VIEW_BEFORE_CART = 0.3  # the product_view before an add_to_cart
SEQ_REMOVE_AFTER_CART = 0.3
SEQ_CLICK_AFTER_IMPRESSION = 0.2
SEQ_VIEW_AFTER_CLICK = 0.4
# Page views and identify calls relative to what they accompany (seconds).
LANDING_PAGE_AFTER_START_S = 0.3
PRODUCT_PAGE_BEFORE_VIEW_S = 0.8
CHECKOUT_PAGE_BEFORE_EVENT_S = 0.5
IDENTIFY_AFTER_START_S = 0.2
VIDEO_ID_END = 5000  # video ids are vid_0001 .. below this
SEARCH_BRAND_SHARE = 0.3  # search queries with a brand in front of the noun
SEARCH_NOUNS_PER_CATEGORY = 6
SEARCH_RESULTS_MEAN = 24
# Landing page of a session: home / sale / new arrivals / a category page.
LANDING_PAGE_SHARE = np.array([0.5, 0.1, 0.1, 0.3])
# Server receipt: log-normal delay (mean and sd of log seconds); late rows arrive days later.
RECEIPT_LOG_DELAY_S = (-0.7, 0.8)
LATE_DELAY_DAYS = (1.0, 3.0)
LATE_PAGE_SHARE = LATE_EVENT_SHARE / 2
ORDER_EMAIL_VARIANT_SHARE = 0.25  # orders whose email is typed differently from the CRM's
IDENTIFY_EMAIL_VARIANT_SHARE = 0.3  # identify calls whose email trait is typed differently

# Orders (orders.py): prices, shipping and the status timeline.
CHECKOUT_TO_ORDER_S = (20.0, 180.0)
SALE_PRICE_FACTOR = 0.8
MIN_UNIT_PRICE = 0.5
FREE_SHIPPING_FROM = 50.0
SHIPPING_FEE = 4.99
COUPON_RATE_JITTER = (0.8, 1.2)  # the coupon rate of an order is COUPON_RATE times a uniform factor
CANCEL_SHARE = 0.03
REFUND_SHARE = 0.045
REFUND_SHARE_LOYAL = 0.02
SHIP_AFTER_DAYS = (0.4, 2.0)
DELIVER_AFTER_DAYS = (1.0, 5.0)
CANCEL_AFTER_HOURS = (1.0, 20.0)
REFUND_AFTER_DAYS = (3.0, 12.0)  # after delivery
