"""Sessions, behavioral events, page views, identifies and orders for one chunk of persons (vectorized)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.catalog import Catalog, ItemSampler
from tailor.generator.config import (
    BROWSE_MIX,
    BROWSE_SINGLE_QTY_SHARE,
    BROWSE_SOURCE_SHARE,
    BROWSE_TYPES,
    CANCEL_AFTER_HOURS,
    CANCEL_SHARE,
    CART_REMOVE_SHARE,
    CHECKOUT_PAGE_BEFORE_EVENT_S,
    CHECKOUT_TO_ORDER_S,
    CONVERSION_BASE,
    COUPON_PROB,
    COUPON_RATE,
    COUPON_RATE_JITTER,
    CURRENCY_RATES_TO_USD,
    DAY_S,
    DELIVER_AFTER_DAYS,
    EVENT_GAP_MEAN_S,
    EVENT_GAP_MIN_S,
    EVENTS_PER_SESSION,
    FAVORITE_AFFINITY,
    FAVORITE_BRAND_SHARE,
    FAVORITE_SLOT_SKEW,
    FIRST_EVENT_DELAY_S,
    FIRST_VISIT_LOGIN_SHARE,
    FREE_SHIPPING_FROM,
    FUNNEL_EXTRA_ITEMS_N,
    FUNNEL_EXTRA_ITEMS_P,
    FUNNEL_MULTI_QTY,
    FUNNEL_SINGLE_QTY_SHARE,
    HOUR_SHARE,
    IDENTIFY_AFTER_START_S,
    IDENTIFY_EMAIL_VARIANT_SHARE,
    ITEM_MODE,
    LANDING_PAGE_AFTER_START_S,
    LANDING_PAGE_SHARE,
    LATE_DELAY_DAYS,
    LATE_EVENT_SHARE,
    LATE_PAGE_SHARE,
    LATER_LOGIN_P,
    LOYAL,
    MIN_UNIT_PRICE,
    NEVER_SIGNED_IN_SHARE,
    ORDER_EMAIL_VARIANT_SHARE,
    PLACEHOLDER_USER_IDS,
    PRIMARY_DEVICE_SHARE,
    PRODUCT_PAGE_BEFORE_VIEW_S,
    PURCHASE_PER_SESSION,
    REC_CTR,
    REC_SLOTS,
    RECEIPT_LOG_DELAY_S,
    REFUND_AFTER_DAYS,
    REFUND_SHARE,
    REFUND_SHARE_LOYAL,
    REIDENTIFY_SHARE,
    SALE_PRICE_FACTOR,
    SCROLL_LEVELS,
    SCROLL_MIX,
    SEARCH_BRAND_SHARE,
    SEARCH_NOUNS_PER_CATEGORY,
    SEARCH_RESULTS_MEAN,
    SEQ_CLICK_AFTER_IMPRESSION,
    SEQ_REMOVE_AFTER_CART,
    SEQ_VIEW_AFTER_CLICK,
    SEQ_VIEW_BEFORE_CART,
    SHIP_AFTER_DAYS,
    SHIPPING_FEE,
    VIDEO_ID_END,
    VIDEO_LOG_SECONDS,
    VIDEO_LOG_SECONDS_SD,
    VIDEO_SECONDS_RANGE,
    VIDEO_WATCHED_SHARE,
    ScaleConfig,
)
from tailor.generator.experiments import ASSIGN_MARGIN_S, REGISTRY, Assignment, ExperimentUnits, assign
from tailor.generator.population import Population
from tailor.generator.vocab import (
    CATEGORIES,
    COUNTRIES,
    FEATURES,
    REC_PLACEMENTS,
    REFERRER_SHARE,
    REFERRERS,
    SITE,
    UTM_SUFFIXES,
)
from tailor.landing import EVENT_TYPES

ET = {name: code for code, name in enumerate(EVENT_TYPES)}
BROWSE_CODES = np.array([ET[t] for t in BROWSE_TYPES])
CURRENCY_OF_COUNTRY = {code: spec[3] for code, spec in COUNTRIES.items()}
NEVER = 1 << 40  # login ordinal of a device that never signs in
# product_view "source" property; the last one marks the view that follows a recommendation click.
SOURCES: tuple[str, ...] = ("category", "search", "direct", "recommendation")
FROM_RECOMMENDATION = SOURCES.index("recommendation")
ORDER_CANCELLED, ORDER_REFUNDED = 2, 1  # final kind of an order's status timeline (0: stays delivered)


@dataclass(frozen=True)
class World:
    cfg: ScaleConfig
    seed: int
    pop: Population
    catalog: Catalog
    sampler: ItemSampler
    start_s: int  # first landed day, 00:00 UTC
    end_s: int  # end of the last landed day
    sim_end_s: int  # end of the last simulated (held-back) day
    category_pick: np.ndarray  # categories of random catalog items, for non-favorite picks
    anon: pa.Array  # dev_anon as arrow (taken by device slot)
    user_agent: pa.Array
    product_or_null: pa.Array  # index 0 is null, item i is at i + 1
    price_text: pa.Array  # per item
    product_path: pa.Array  # per item: /p/<sku>
    page_title: pa.Array  # per item


def build_world(cfg: ScaleConfig, seed: int, pop: Population, catalog: Catalog, start_s: int, end_s: int,
                sim_end_s: int) -> World:
    """Bundles the simulated world with arrow copies of the strings taken per row."""
    product = pa.array(catalog.product_id, pa.string())
    return World(
        cfg=cfg, seed=seed, pop=pop, catalog=catalog, sampler=ItemSampler(catalog), start_s=start_s, end_s=end_s,
        sim_end_s=sim_end_s, category_pick=catalog.category[catalog.is_active],
        anon=pa.array(pop.dev_anon, pa.string()), user_agent=pa.array(pop.dev_ua, pa.string()),
        product_or_null=pa.concat_arrays([pa.nulls(1, pa.string()), product]),
        price_text=text.to_str(catalog.price),
        product_path=text.join("/p/", pc.utf8_lower(product)),
        page_title=text.join(pa.array(catalog.title, pa.string()), " | Example Store"),
    )


@dataclass
class StreamRows:
    table: pa.Table
    day: np.ndarray  # received_at day number per row (the dt partition)


@dataclass(frozen=True)
class Sessions:
    """The chunk's sessions, sorted by person then start time (one array element per session)."""

    person: np.ndarray
    persona: np.ndarray
    start: np.ndarray  # epoch seconds
    device_slot: np.ndarray  # index into the population's device arrays
    logged_in: np.ndarray
    sends_identify: np.ndarray
    on_primary_device: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class EventRows:
    """Events of the chunk's sessions, one array element per event (session indexes Sessions)."""

    session: np.ndarray
    seq: np.ndarray  # order within the session; companions of a browse event sit at fractional positions
    type: np.ndarray  # code in EVENT_TYPES
    item: np.ndarray  # catalog index, -1 for none
    source: np.ndarray  # product_view source, index into SOURCES
    quantity: np.ndarray
    rec_slot: np.ndarray
    placement: np.ndarray  # index into REC_PLACEMENTS
    in_funnel: np.ndarray  # add_to_cart of a purchase funnel: becomes an order line

    def __len__(self) -> int:
        return len(self.session)

    def take(self, index: np.ndarray) -> Self:
        """The rows at index, in that order."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[EventRows]) -> EventRows:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


@dataclass
class TimedEvents(EventRows):
    """Event rows in session and time order, with their times and per-type measures."""

    t: np.ndarray  # epoch seconds (server clock)
    video_seconds: np.ndarray  # video_play only
    scroll_percent: np.ndarray  # scroll_depth only


class CarouselWindow(NamedTuple):
    """Per person of the chunk (index person - lo): when exp_rec_carousel treatment and exposure start."""

    lo: int
    treated_from: np.ndarray  # inf: never treated
    exposed_from: np.ndarray  # inf: not assigned


class CarouselExposure(NamedTuple):
    """Per person of the chunk: recommendation impressions and clicks since exp_rec_carousel assignment."""

    impressions: np.ndarray
    clicks: np.ndarray


class CarouselUnits(NamedTuple):
    """The exp_rec_carousel assignments of the chunk and each unit's planted conversion draw."""

    assignment: Assignment
    converted: np.ndarray


class CheckoutValues(NamedTuple):
    """What each checkout_start event carries about its order (row indexes the TimedEvents)."""

    row: np.ndarray
    subtotal: np.ndarray
    n_items: np.ndarray
    currency_code: np.ndarray  # index into CURRENCY_RATES_TO_USD


@dataclass
class ChunkResult:
    events: StreamRows
    pages: StreamRows
    identifies: StreamRows
    orders: pa.Table  # landing columns + hidden status timeline columns (see orders_as_of)
    order_items: pa.Table
    assignments: pa.Table
    sessions: Sessions
    session_user: pa.Array  # user_id carried by each session's rows
    n_sessions: np.ndarray  # per person of the chunk, for the truth
    n_orders: np.ndarray
    exp_units: list[ExperimentUnits] = field(default_factory=list)


def _group_first(keys: np.ndarray) -> np.ndarray:
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _group_rank(keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal keys."""
    n = len(keys_sorted)
    start = np.where(_group_first(keys_sorted), np.arange(n), 0)
    return np.arange(n) - np.maximum.accumulate(start) if n else np.zeros(0, dtype=np.int64)


def pick_items(rng: np.random.Generator, world: World, persons: np.ndarray) -> np.ndarray:
    """Catalog indices drawn from each person's favorite categories/brands, persona price mode, Zipf."""
    pop = world.pop
    m = len(persons)
    favorite = rng.random(m) < FAVORITE_AFFINITY
    fav_slot = np.floor(rng.random(m) ** FAVORITE_SLOT_SKEW * pop.n_fav[persons]).astype(np.int64)
    category = np.where(favorite, pop.fav_categories[persons, fav_slot], world.category_pick[rng.integers(0, len(
        world.category_pick), m)])
    brand = np.where(favorite & (rng.random(m) < FAVORITE_BRAND_SHARE), pop.fav_brands[persons, fav_slot], -1)
    mode_cum = np.cumsum(ITEM_MODE, axis=1)[pop.persona[persons]]
    mode = (rng.random(m)[:, None] > mode_cum).sum(axis=1).clip(0, 2)
    return world.sampler.sample(rng, category, mode, brand)


def _sessions(rng: np.random.Generator, world: World, lo: int, hi: int) -> Sessions:
    pop = world.pop
    persons = np.arange(lo, hi)
    per_person = rng.poisson(pop.session_rate[persons])
    per_person = np.where(pop.has_activity[persons], np.maximum(per_person, 1), 0)
    person = np.repeat(persons, per_person)
    n = len(person)
    first_day, last_day = pop.active_from_day[person], pop.active_to_day[person]
    day = first_day + np.floor(rng.random(n) * (last_day - first_day + 1)).astype(np.int64)
    time_of_day = rng.choice(24, n, p=HOUR_SHARE) * 3600.0 + rng.random(n) * 3600.0
    start = world.start_s + day * float(DAY_S) + time_of_day
    order = np.lexsort((start, person))
    person, start = person[order], start[order]
    n_devices = pop.n_dev[person]
    device = np.where(rng.random(n) < PRIMARY_DEVICE_SHARE, 0,
                      np.floor(rng.random(n) * n_devices).astype(np.int64))
    device_slot = pop.dev_offset[person] + device

    slot_lo = int(pop.dev_offset[lo]) if hi > lo else 0
    slot_hi = int(pop.dev_offset[hi - 1] + pop.n_dev[hi - 1]) if hi > lo else 0
    slots = np.arange(slot_lo, slot_hi)
    m = len(slots)
    # Account holders sign in on most devices, usually on the first visit (a saved login, a checkout);
    # the rest sign in a few sessions later, and a small share of secondary devices is never signed in.
    login_ordinal = np.where(rng.random(m) < FIRST_VISIT_LOGIN_SHARE, 0, rng.geometric(LATER_LOGIN_P, m))
    primary = slots == pop.dev_offset[pop.dev_person[slots]]
    never = (~primary & (rng.random(m) < NEVER_SIGNED_IN_SHARE)) | ~pop.has_account[pop.dev_person[slots]]
    login_ordinal = np.where(never, NEVER, login_ordinal)

    by_slot = np.lexsort((start, device_slot))
    ordinal = np.empty(n, dtype=np.int64)  # position of the session among its device's sessions
    ordinal[by_slot] = _group_rank(device_slot[by_slot])
    session_login_ordinal = login_ordinal[device_slot - slot_lo]
    logged_in = ordinal >= session_login_ordinal
    sends_identify = (ordinal == session_login_ordinal) | (logged_in & (rng.random(n) < REIDENTIFY_SHARE))
    return Sessions(
        person=person, persona=pop.persona[person], start=start, device_slot=device_slot, logged_in=logged_in,
        sends_identify=sends_identify, on_primary_device=device_slot == pop.dev_offset[person],
    )


def _plant_conversions(rng: np.random.Generator, world: World, sessions: Sessions, purchase: np.ndarray,
                       rec: Assignment, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Draws each exp_rec_carousel unit's conversion and makes its in-window purchases follow the draw.

    Returns (converted per unit, purchase flag per session)."""
    persona = world.pop.persona[rec.person]
    converted = rng.random(len(rec.person)) < CONVERSION_BASE[persona] * (
        1.0 + rec.experiment.conversion_lift * rec.variant)
    unit_of_person = np.full(hi - lo, -1, dtype=np.int64)
    unit_of_person[rec.person - lo] = np.arange(len(rec.person))
    unit = unit_of_person[sessions.person - lo]
    has_unit = unit >= 0
    unit_or_0 = np.where(has_unit, unit, 0)
    eligible = has_unit & sessions.logged_in & (sessions.start >= rec.assigned_at[unit_or_0]) & (
        sessions.start < rec.experiment.end_s - ASSIGN_MARGIN_S)
    purchase = purchase & ~(eligible & ~converted[unit_or_0])
    has_purchase = np.bincount(unit[eligible & purchase], minlength=len(rec.person)) > 0
    needs_purchase = converted & ~has_purchase
    candidates = np.flatnonzero(eligible & needs_purchase[unit_or_0])
    order = np.lexsort((rng.random(len(candidates)), unit[candidates]))
    candidates = candidates[order]
    purchase[candidates[_group_first(unit[candidates])]] = True
    return converted, purchase


def simulate_chunk(rng: np.random.Generator, world: World, chunk: int, lo: int, hi: int) -> ChunkResult:
    """All web/event/commerce activity of persons [lo, hi)."""
    pop = world.pop
    sessions = _sessions(rng, world, lo, hi)
    assignments = [assign(rng, e, sessions.person, sessions.device_slot, sessions.start, sessions.logged_in,
                          pop.dev_shared) for e in REGISTRY]
    rec = next(a for a in assignments if a.experiment.experiment_id == "exp_rec_carousel")

    purchase = sessions.logged_in & (rng.random(len(sessions)) < PURCHASE_PER_SESSION[sessions.persona])
    converted, purchase = _plant_conversions(rng, world, sessions, purchase, rec, lo, hi)
    treated_from = np.full(hi - lo, np.inf)
    treated_from[rec.person[rec.variant == 1] - lo] = rec.assigned_at[rec.variant == 1]
    exposed_from = np.full(hi - lo, np.inf)
    exposed_from[rec.person - lo] = rec.assigned_at

    events, exposure = _event_rows(rng, world, sessions, purchase, CarouselWindow(lo, treated_from, exposed_from))
    orders, items, checkout_values = _orders(rng, world, sessions, events, CarouselUnits(rec, converted), chunk)
    session_user = _session_user(sessions, pop)
    events_table = _events_table(rng, world, sessions, events, session_user, checkout_values)
    pages = _pages(rng, world, sessions, events, session_user)
    identifies = _identifies(rng, world, sessions)
    assign_table = _assignments_table(rng, world, assignments)

    n_orders = np.bincount(pc.cast(orders["_person"], pa.int64()).to_numpy() - lo, minlength=hi - lo)
    exp_units = [_experiment_units(pop, a, CarouselUnits(rec, converted) if a is rec else None, exposure, lo)
                 for a in assignments]
    return ChunkResult(
        events=events_table, pages=pages, identifies=identifies, orders=orders, order_items=items,
        assignments=assign_table, sessions=sessions, session_user=session_user,
        n_sessions=np.bincount(sessions.person - lo, minlength=hi - lo), n_orders=n_orders, exp_units=exp_units,
    )


def _experiment_units(pop: Population, a: Assignment, carousel: CarouselUnits | None, exposure: CarouselExposure,
                      lo: int) -> ExperimentUnits:
    """The truth columns of one experiment's units; the carousel's carry its conversion draw and rec counts."""
    n = len(a.unit)
    return ExperimentUnits(
        experiment_id=np.full(n, a.experiment.experiment_id, dtype=object), person=a.person, variant=a.variant,
        assigned_at=a.assigned_at, p_base=CONVERSION_BASE[pop.persona[a.person]],
        converted_draw=carousel.converted if carousel else np.zeros(n, dtype=bool),
        rec_impressions=exposure.impressions[a.person - lo] if carousel else np.zeros(n, dtype=np.int64),
        rec_clicks=exposure.clicks[a.person - lo] if carousel else np.zeros(n, dtype=np.int64),
    )


def _event_part(session: np.ndarray, seq: np.ndarray, etype: int | np.ndarray, item: np.ndarray,
                **extra: np.ndarray | int | bool) -> EventRows:
    """Event rows of one kind; extra sets other EventRows fields (a scalar or one value per row)."""
    n = len(session)
    rows = EventRows(
        session=session, seq=seq.astype(float), type=np.broadcast_to(np.asarray(etype), (n,)).astype(np.int64),
        item=item.astype(np.int64), source=np.zeros(n, dtype=np.int64), quantity=np.ones(n, dtype=np.int64),
        rec_slot=np.zeros(n, dtype=np.int64), placement=np.zeros(n, dtype=np.int64),
        in_funnel=np.zeros(n, dtype=bool),
    )
    for name, value in extra.items():
        setattr(rows, name, np.broadcast_to(np.asarray(value), (n,)).astype(getattr(rows, name).dtype))
    return rows


def _event_rows(rng: np.random.Generator, world: World, sessions: Sessions, purchase: np.ndarray,
                carousel: CarouselWindow) -> tuple[TimedEvents, CarouselExposure]:
    """Every event of the chunk's sessions in time order: browse mix, cart companions, rec clicks, funnels.

    Also returns per person of the chunk the recommendation impressions and clicks since exp_rec_carousel
    assignment (the planted rec_ctr lift)."""
    persona = sessions.persona
    n_browse = 1 + rng.poisson(EVENTS_PER_SESSION[persona] - 1.0)
    browse_session = np.repeat(np.arange(len(sessions)), n_browse)
    n = len(browse_session)
    browse_seq = _group_rank(browse_session).astype(float)
    mix_cum = np.cumsum(BROWSE_MIX, axis=1)[persona[browse_session]]
    kind = (rng.random(n)[:, None] > mix_cum).sum(axis=1).clip(0, len(BROWSE_TYPES) - 1)
    etype = BROWSE_CODES[kind]
    item = np.full(n, -1, dtype=np.int64)
    with_item = np.isin(etype, [ET["product_view"], ET["add_to_cart"], ET["recommendation_impression"]])
    item[with_item] = pick_items(rng, world, sessions.person[browse_session[with_item]])
    browse = _event_part(browse_session, browse_seq, etype, item)
    browse.source = rng.choice(len(BROWSE_SOURCE_SHARE), n, p=BROWSE_SOURCE_SHARE)
    is_rec = etype == ET["recommendation_impression"]
    browse.rec_slot = np.where(is_rec, rng.integers(1, REC_SLOTS + 1, n), 0)
    browse.placement = rng.integers(0, len(REC_PLACEMENTS), n)
    browse.quantity = np.where(rng.random(n) < BROWSE_SINGLE_QTY_SHARE, 1, 2)
    parts = [browse]

    # A product_view before each add_to_cart, and a remove_from_cart after some.
    atc = browse.take(np.flatnonzero(etype == ET["add_to_cart"]))
    parts.append(_event_part(atc.session, atc.seq - SEQ_VIEW_BEFORE_CART, ET["product_view"], atc.item,
                             source=atc.source))
    removed = atc.take(rng.random(len(atc)) < CART_REMOVE_SHARE)
    parts.append(_event_part(removed.session, removed.seq + SEQ_REMOVE_AFTER_CART, ET["remove_from_cart"], removed.item,
                             quantity=removed.quantity))

    impressions = browse.take(np.flatnonzero(is_rec))
    lift = next(e for e in REGISTRY if e.experiment_id == "exp_rec_carousel").rec_ctr_lift
    impression_start = sessions.start[impressions.session]
    impression_person = sessions.person[impressions.session] - carousel.lo
    treated = impression_start >= carousel.treated_from[impression_person]
    ctr = REC_CTR[persona[impressions.session]] * np.where(treated, 1.0 + lift, 1.0)
    is_click = rng.random(len(impressions)) < ctr
    clicked = impressions.take(is_click)
    exposed = impression_start >= carousel.exposed_from[impression_person]
    n_persons = len(carousel.exposed_from)
    exposure = CarouselExposure(
        impressions=np.bincount(impression_person[exposed], minlength=n_persons),
        clicks=np.bincount(impression_person[exposed & is_click], minlength=n_persons),
    )
    parts.append(_event_part(clicked.session, clicked.seq + SEQ_CLICK_AFTER_IMPRESSION, ET["recommendation_click"],
                             clicked.item, rec_slot=clicked.rec_slot, placement=clicked.placement))
    parts.append(_event_part(clicked.session, clicked.seq + SEQ_VIEW_AFTER_CLICK, ET["product_view"], clicked.item,
                             source=FROM_RECOMMENDATION))

    # Purchase funnels after the browsing: view + add_to_cart per item, then checkout_start.
    buying = np.flatnonzero(purchase)
    n_funnel_items = 1 + rng.binomial(FUNNEL_EXTRA_ITEMS_N, FUNNEL_EXTRA_ITEMS_P, len(buying))
    funnel_session = np.repeat(buying, n_funnel_items)
    m = len(funnel_session)
    position = _group_rank(funnel_session)
    funnel_item = pick_items(rng, world, sessions.person[funnel_session])
    funnel_seq = n_browse[funnel_session].astype(float)
    funnel_qty = np.where(rng.random(m) < FUNNEL_SINGLE_QTY_SHARE, 1, rng.integers(*FUNNEL_MULTI_QTY, m))
    parts.append(_event_part(funnel_session, funnel_seq + 2 * position, ET["product_view"], funnel_item,
                             source=rng.choice(FROM_RECOMMENDATION, m)))
    parts.append(_event_part(funnel_session, funnel_seq + 2 * position + 1, ET["add_to_cart"], funnel_item,
                             quantity=funnel_qty, in_funnel=True))
    parts.append(_event_part(buying, n_browse[buying] + 2.0 * n_funnel_items, ET["checkout_start"],
                             np.full(len(buying), -1)))

    rows = EventRows.concat(parts)
    rows = rows.take(np.lexsort((rows.seq, rows.session)))
    return _timed(rng, sessions, rows), exposure


def _timed(rng: np.random.Generator, sessions: Sessions, rows: EventRows) -> TimedEvents:
    """Event times (exponential gaps, longer after a video), video lengths and scroll depths."""
    n = len(rows)
    persona = sessions.persona[rows.session]
    video = rows.type == ET["video_play"]
    video_seconds = np.zeros(n)
    video_seconds[video] = np.clip(np.round(rng.lognormal(VIDEO_LOG_SECONDS[persona[video]], VIDEO_LOG_SECONDS_SD)),
                                   *VIDEO_SECONDS_RANGE)
    first = _group_first(rows.session)
    gap = rng.exponential(EVENT_GAP_MEAN_S, n) + EVENT_GAP_MIN_S
    gap[1:] += video_seconds[:-1] * VIDEO_WATCHED_SHARE
    gap = np.where(first, rng.uniform(*FIRST_EVENT_DELAY_S, n), gap)
    elapsed = np.cumsum(gap)
    head = np.maximum.accumulate(np.where(first, np.arange(n), 0))  # first row of each row's session
    t = sessions.start[rows.session] + elapsed - elapsed[head] + gap[head]
    scroll = rows.type == ET["scroll_depth"]
    scroll_cum = np.cumsum(SCROLL_MIX, axis=1)[persona[scroll]]
    scroll_percent = np.zeros(n, dtype=np.int64)
    scroll_percent[scroll] = SCROLL_LEVELS[(rng.random(scroll.sum())[:, None] > scroll_cum).sum(axis=1).clip(
        0, len(SCROLL_LEVELS) - 1)]
    return TimedEvents(**{f.name: getattr(rows, f.name) for f in fields(rows)}, t=t, video_seconds=video_seconds,
                       scroll_percent=scroll_percent)


def _orders(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
            carousel: CarouselUnits, chunk: int) -> tuple[pa.Table, pa.Table, CheckoutValues]:
    """Orders and order items from the purchase funnels; status follows a shipping/refund timeline."""
    pop, cat = world.pop, world.catalog
    rec, converted = carousel
    checkout = np.flatnonzero(events.type == ET["checkout_start"])
    n_ord = len(checkout)
    order_session = events.session[checkout]
    order_person = sessions.person[order_session]
    created = events.t[checkout] + rng.uniform(*CHECKOUT_TO_ORDER_S, n_ord)
    order_of_session = np.full(len(sessions), -1, dtype=np.int64)
    order_of_session[order_session] = np.arange(n_ord)
    lines = events.take(np.flatnonzero(events.in_funnel))
    line_order = order_of_session[lines.session]
    line_item = lines.item
    currency = np.array([CURRENCY_OF_COUNTRY[c] for c in pop.country[order_person]], dtype=object)
    rate = np.array([CURRENCY_RATES_TO_USD[c] for c in currency]) if n_ord else np.zeros(0)
    sale = np.where(cat.on_sale[line_item], SALE_PRICE_FACTOR, 1.0)
    unit_price = np.maximum(np.round(cat.price[line_item] * sale / rate[line_order], 2), MIN_UNIT_PRICE)
    line_amount = np.round(unit_price * lines.quantity, 2)
    subtotal = np.round(np.bincount(line_order, weights=line_amount, minlength=n_ord), 2)
    persona = pop.persona[order_person]
    coupon = rng.random(n_ord) < COUPON_PROB[persona]
    discount = np.where(coupon, np.round(subtotal * COUPON_RATE[persona] * rng.uniform(*COUPON_RATE_JITTER, n_ord),
                                         2), 0.0)
    shipping = np.where(subtotal >= FREE_SHIPPING_FROM, 0.0, SHIPPING_FEE)
    total = np.round(subtotal - discount + shipping, 2)
    codes = {c: k for k, c in enumerate(CURRENCY_RATES_TO_USD)}
    checkout_values = CheckoutValues(row=checkout, subtotal=subtotal, n_items=np.bincount(line_order, minlength=n_ord),
                                     currency_code=np.array([codes[c] for c in currency], dtype=np.int64))

    refund_share = np.where(persona == LOYAL, REFUND_SHARE_LOYAL, REFUND_SHARE)
    u = rng.random(n_ord)
    final_kind = np.where(u < CANCEL_SHARE, ORDER_CANCELLED, np.where(u < CANCEL_SHARE + refund_share,
                                                                      ORDER_REFUNDED, 0))
    unit_of_person = np.full(len(pop.persona), -1, dtype=np.int64)
    unit_of_person[rec.person] = np.arange(len(rec.person))
    unit = unit_of_person[order_person]
    unit_or_0 = np.where(unit >= 0, unit, 0)
    in_window = (unit >= 0) & (created >= rec.assigned_at[unit_or_0]) & (created < rec.experiment.end_s)
    # An experiment unit's in-window order is never cancelled, and exists only if the unit's draw converted.
    final_kind = np.where(in_window, np.where(final_kind == ORDER_CANCELLED, 0, final_kind), final_kind)
    keep = (created <= world.sim_end_s) & ~(in_window & ~converted[unit_or_0])

    cancelled = final_kind == ORDER_CANCELLED
    t_ship = np.where(cancelled, np.inf, created + rng.uniform(*SHIP_AFTER_DAYS, n_ord) * DAY_S)
    t_deliver = t_ship + rng.uniform(*DELIVER_AFTER_DAYS, n_ord) * DAY_S
    t_final = np.where(cancelled, created + rng.uniform(*CANCEL_AFTER_HOURS, n_ord) * 3600.0,
                       np.where(final_kind == ORDER_REFUNDED,
                                t_deliver + rng.uniform(*REFUND_AFTER_DAYS, n_ord) * DAY_S, np.inf))
    order_id = text.numbered("O", 1_000_000_000 + chunk * 10_000_000 + np.arange(n_ord), 10)
    emails = text.email_variants(rng, pop.data_email[order_person], ORDER_EMAIL_VARIANT_SHARE)
    orders = pa.table({
        "order_id": order_id,
        "customer_id": pa.array(pop.user_id[order_person], pa.string()),
        "email": emails,
        "status": pa.nulls(n_ord, pa.string()),
        "currency": pa.array(currency, pa.string()),
        "subtotal": subtotal,
        "discount": discount,
        "shipping": shipping,
        "total_amount": total,
        "created_at": text.iso(created),
        "updated_at": pa.nulls(n_ord, pa.string()),
        "_person": order_person,
        "_visible_at": created,
        "_t_ship": t_ship,
        "_t_deliver": t_deliver,
        "_t_final": t_final,
        "_final_kind": final_kind,
    }).filter(pa.array(keep))
    line_no = _group_rank(line_order) + 1
    items = pa.table({
        "order_item_id": text.join(pc.take(order_id, pa.array(line_order)), "-",
                                   text.to_str(line_no.astype(np.int64))),
        "order_id": pc.take(order_id, pa.array(line_order)),
        "product_id": pa.array(cat.product_id[line_item], pa.string()),
        "quantity": pa.array(lines.quantity.astype(np.int32), pa.int32()),
        "unit_price": unit_price,
        "_visible_at": created[line_order],
    }).filter(pa.array(keep[line_order]))
    return orders, items, checkout_values


def _session_user(sessions: Sessions, pop: Population) -> pa.Array:
    """The user_id each session's rows carry: the login, a buggy-SDK placeholder, or null."""
    person = sessions.person
    user = np.where(sessions.logged_in, pop.user_id[person], None)
    placeholder = pop.placeholder[person]  # index into PLACEHOLDER_USER_IDS, -1 for none
    values = np.array(PLACEHOLDER_USER_IDS, dtype=object)
    user = np.where((placeholder >= 0) & sessions.on_primary_device, values[np.maximum(placeholder, 0)], user)
    return pa.array(user, pa.string())


def _received(rng: np.random.Generator, t: np.ndarray, late_share: float) -> np.ndarray:
    delay = rng.lognormal(*RECEIPT_LOG_DELAY_S, len(t))
    late = rng.random(len(t)) < late_share
    return t + delay + np.where(late, rng.uniform(*LATE_DELAY_DAYS, len(t)) * DAY_S, 0.0)


def _json(*pairs: tuple[str, pa.Array | str, bool]) -> pa.Array:
    """'{"k":v,...}' from (key, values, quoted) triples."""
    pieces: list[pa.Array | str] = []
    for i, (key, values, quoted) in enumerate(pairs):
        pieces.append(("{" if i == 0 else ",") + f'"{key}":' + ('"' if quoted else ""))
        pieces.append(values)
        if quoted:
            pieces.append('"')
    pieces.append("}")
    return text.join(*pieces)


def _search_queries(rng: np.random.Generator, world: World, persons: np.ndarray) -> pa.Array:
    """Search strings from the person's favorite categories: a noun, sometimes with a brand in front."""
    pop, cat = world.pop, world.catalog
    per_category = SEARCH_NOUNS_PER_CATEGORY
    fav_slot = np.floor(rng.random(len(persons)) * pop.n_fav[persons]).astype(np.int64)
    category = pop.fav_categories[persons, fav_slot]
    nouns = pa.array([noun for name in cat.category_names for noun in CATEGORIES[name][1][:per_category]],
                     pa.string())
    noun = nouns.take(pa.array(category * per_category + rng.integers(0, per_category, len(category))))
    brands = pc.utf8_lower(pa.array(cat.brand_names, pa.string()))
    brand = brands.take(pa.array(np.maximum(pop.fav_brands[persons, fav_slot], 0)))
    with_brand = pa.array(rng.random(len(persons)) < SEARCH_BRAND_SHARE)
    return pc.if_else(with_brand, text.join(brand, " ", noun), noun)


def _events_table(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
                  session_user: pa.Array, checkout_values: CheckoutValues) -> StreamRows:
    pop = world.pop
    received, arrival = _arrival(rng, events.t, LATE_EVENT_SHARE, world)
    cart_value = np.zeros(len(events))
    cart_currency = np.zeros(len(events), dtype=np.int64)
    cart_items = np.zeros(len(events), dtype=np.int64)
    cart_value[checkout_values.row] = checkout_values.subtotal
    cart_currency[checkout_values.row] = checkout_values.currency_code
    cart_items[checkout_values.row] = checkout_values.n_items
    cart_value, cart_currency, cart_items = cart_value[arrival], cart_currency[arrival], cart_items[arrival]
    ev = events.take(arrival)
    n = len(ev)
    session, etype, item = ev.session, ev.type, ev.item
    slot = sessions.device_slot[session]
    event_at = ev.t + pop.dev_skew_s[slot]
    price = world.price_text.take(pa.array(np.maximum(item, 0)))
    props: list[pa.Array] = []
    positions: list[np.ndarray] = []

    def add(code: str, build) -> None:
        idx = np.flatnonzero(etype == ET[code])
        positions.append(idx)
        props.append(build(idx))

    sources = pa.array(list(SOURCES))
    placements = pa.array(list(REC_PLACEMENTS))
    add("product_view", lambda i: _json(("price", pc.take(price, pa.array(i)), False), ("currency", "USD", True),
                                        ("source", pc.take(sources, pa.array(ev.source[i])), True)))
    add("add_to_cart", lambda i: _json(("price", pc.take(price, pa.array(i)), False), ("currency", "USD", True),
                                       ("quantity", text.to_str(ev.quantity[i]), False)))
    add("remove_from_cart", lambda i: _json(("quantity", text.to_str(ev.quantity[i]), False)))
    add("search", lambda i: _json(("query", _search_queries(rng, world, sessions.person[session[i]]), True),
                                  ("results", text.to_str(rng.poisson(SEARCH_RESULTS_MEAN, len(i))), False)))
    page_types = ("product", "home", "article", "category")
    add("scroll_depth", lambda i: _json(("percent", text.to_str(ev.scroll_percent[i]), False),
                                        ("page_type", text.choose(rng, page_types, len(i)),
                                         True)))
    add("video_play", lambda i: _json(("video_id", text.numbered("vid_", rng.integers(1, VIDEO_ID_END, len(i)), 4),
                                       True),
                                      ("seconds", text.to_str(ev.video_seconds[i].astype(np.int64)), False)))
    add("feature_use", lambda i: _json(("feature", text.choose(rng, FEATURES, len(i)), True)))
    currencies = pa.array(list(CURRENCY_RATES_TO_USD), pa.string())
    add("checkout_start", lambda i: _json(("cart_value", text.to_str(cart_value[i]), False),
                                          ("currency", currencies.take(pa.array(cart_currency[i])), True),
                                          ("items", text.to_str(cart_items[i]), False)))
    for code in ("recommendation_impression", "recommendation_click"):
        add(code, lambda i: _json(("slot", text.to_str(ev.rec_slot[i]), False),
                                  ("placement", pc.take(placements, pa.array(ev.placement[i])), True)))
    position = np.concatenate(positions)
    properties = pc.take(pa.concat_arrays([p.cast(pa.string()) for p in props]),
                         pa.array(np.argsort(position, kind="stable")))
    table = pa.table({
        "event_id": text.uuids(rng, n),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pc.take(session_user, pa.array(session)),
        "event_type": pc.take(pa.array(list(EVENT_TYPES)), pa.array(etype)),
        "item_id": world.product_or_null.take(pa.array(item + 1)),
        "properties": properties,
        "event_at": text.iso(event_at),
        "received_at": text.iso(received),
    })
    return StreamRows(table, text.day_index(received))


def _pages(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
           session_user: pa.Array) -> StreamRows:
    """Page views interleaved with the events: a landing page per session, then product and checkout pages.

    Rows are ordered numerically first; every string column is then one gather from a small vocabulary."""
    cat = world.catalog
    n_sessions, n_items = len(sessions), len(cat.product_id)
    names = list(cat.category_names)
    land_paths = ["/", "/sale", "/new-arrivals"] + [f"/c/{c}" for c in names]
    land_titles = ["Home | Example Store", "Sale | Example Store", "New arrivals | Example Store"] + [
        f"{c.replace('_', ' ').capitalize()} | Example Store" for c in names]
    n_land = len(land_paths)
    paths = pa.concat_arrays([pa.array(land_paths, pa.string()), world.product_path,
                              pa.array(["/checkout"], pa.string())])
    titles = pa.concat_arrays([pa.array(land_titles, pa.string()), world.page_title,
                               pa.array(["Checkout | Example Store"], pa.string())])
    referrers = pa.array([r or None for r in REFERRERS] + [SITE + "/", SITE + "/cart"], pa.string())
    suffixes = pa.array(list(UTM_SUFFIXES) + ["?ref=rec"], pa.string())

    # Landing kind 0-2 is a fixed page (home, sale, new arrivals); the last kind is a category page.
    land_kind = rng.choice(len(LANDING_PAGE_SHARE), n_sessions, p=LANDING_PAGE_SHARE)
    category_kind = len(LANDING_PAGE_SHARE) - 1
    land_pick = np.where(land_kind < category_kind, land_kind, category_kind + world.category_pick[
        rng.integers(0, len(world.category_pick), n_sessions)])
    referrer_pick = rng.choice(len(REFERRERS), n_sessions, p=REFERRER_SHARE)
    utm_pick = np.where(referrer_pick > 0, rng.integers(0, len(UTM_SUFFIXES), n_sessions), 0)
    views = events.take(np.flatnonzero(events.type == ET["product_view"]))
    checkouts = events.take(np.flatnonzero(events.type == ET["checkout_start"]))
    n_views, n_checkouts = len(views), len(checkouts)
    session = np.concatenate([np.arange(n_sessions), views.session, checkouts.session])
    t = np.concatenate([sessions.start + LANDING_PAGE_AFTER_START_S, views.t - PRODUCT_PAGE_BEFORE_VIEW_S,
                        checkouts.t - CHECKOUT_PAGE_BEFORE_EVENT_S])
    path_idx = np.concatenate([land_pick, n_land + views.item, np.full(n_checkouts, n_land + n_items)])
    suffix_idx = np.concatenate([utm_pick, np.where(views.source == FROM_RECOMMENDATION, len(UTM_SUFFIXES), 0),
                                 np.zeros(n_checkouts, int)])
    referrer_idx = np.concatenate([referrer_pick, np.full(n_views, len(REFERRERS)),
                                   np.full(n_checkouts, len(REFERRERS) + 1)])
    received, arrival = _arrival(rng, t, LATE_PAGE_SHARE, world)
    session, t, path_idx = session[arrival], t[arrival], pa.array(path_idx[arrival])
    slot = sessions.device_slot[session]
    path = paths.take(path_idx)
    table = pa.table({
        "id": text.uuids(rng, len(t)),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pc.take(session_user, pa.array(session)),
        "timestamp": text.iso(t + world.pop.dev_skew_s[slot]),
        "received_at": text.iso(received),
        "url": text.join(SITE, path, suffixes.take(pa.array(suffix_idx[arrival]))),
        "path": path,
        "referrer": referrers.take(pa.array(referrer_idx[arrival])),
        "title": titles.take(path_idx),
        "context_user_agent": world.user_agent.take(pa.array(slot)),
    })
    return StreamRows(table, text.day_index(received))


def _arrival(rng: np.random.Generator, t: np.ndarray, late_share: float, world: World
             ) -> tuple[np.ndarray, np.ndarray]:
    """Server receipt times and the arrival order of the rows that arrived before the simulation ends."""
    received = _received(rng, t, late_share)
    keep = np.flatnonzero(received <= world.sim_end_s)
    arrival = keep[np.argsort(received[keep], kind="stable")]
    return received[arrival], arrival


def _identifies(rng: np.random.Generator, world: World, sessions: Sessions) -> StreamRows:
    """An identify call (with the email trait as typed) at each login and at some later sessions."""
    pop = world.pop
    idx = np.flatnonzero(sessions.sends_identify)
    t = sessions.start[idx] + IDENTIFY_AFTER_START_S
    received, arrival = _arrival(rng, t, 0.0, world)
    idx, t = idx[arrival], t[arrival]
    person, slot = sessions.person[idx], sessions.device_slot[idx]
    table = pa.table({
        "id": text.uuids(rng, len(idx)),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pa.array(pop.user_id[person], pa.string()),
        "timestamp": text.iso(t + pop.dev_skew_s[slot]),
        "received_at": text.iso(received),
        "email": text.email_variants(rng, pop.data_email[person], IDENTIFY_EMAIL_VARIANT_SHARE),
        "context_user_agent": world.user_agent.take(pa.array(slot)),
    })
    return StreamRows(table, text.day_index(received))


def _assignments_table(rng: np.random.Generator, world: World, assignments: list[Assignment]) -> pa.Table:
    pop = world.pop
    tables = []
    for a in assignments:
        e = a.experiment
        unit_id = pop.user_id[a.person] if e.unit_type == "user_id" else pop.dev_anon[a.unit]
        n = len(a.unit)
        tables.append(pa.table({
            "assignment_id": text.alnum(rng, n, 16, "asg_"),
            "experiment_id": pa.array([e.experiment_id] * n, pa.string()),
            "variant": pa.array(np.array(e.variants, dtype=object)[a.variant], pa.string()),
            "unit_type": pa.array([e.unit_type] * n, pa.string()),
            "unit_id": pa.array(unit_id, pa.string()),
            "assigned_at": text.iso(a.assigned_at),
            "_visible_at": a.assigned_at,
            "_person": a.person,
        }))
    return pa.concat_tables(tables)
