"""All activity of one chunk of persons (vectorized): sessions, sign-ins, experiment assignment and events.

simulate_chunk draws the sessions and events here, then hands them to orders.py (orders, items) and
streams.py (the events, pages and identifies landing tables); world.py holds the records passed between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.config import (
    BROWSE_MIX,
    BROWSE_SINGLE_QTY_SHARE,
    BROWSE_SOURCE_SHARE,
    BROWSE_TYPES,
    CART_REMOVE_SHARE,
    CONVERSION_BASE,
    DAY_S,
    EVENT_GAP_MEAN_S,
    EVENT_GAP_MIN_S,
    EVENTS_PER_SESSION,
    FAVORITE_AFFINITY,
    FAVORITE_BRAND_SHARE,
    FAVORITE_SLOT_SKEW,
    FIRST_EVENT_DELAY_S,
    FIRST_VISIT_LOGIN_SHARE,
    FUNNEL_EXTRA_ITEMS_N,
    FUNNEL_EXTRA_ITEMS_P,
    FUNNEL_MULTI_QTY,
    FUNNEL_SINGLE_QTY_SHARE,
    HOUR_SHARE,
    ITEM_MODE,
    LATER_LOGIN_P,
    NEVER_SIGNED_IN_SHARE,
    PLACEHOLDER_USER_IDS,
    PRIMARY_DEVICE_SHARE,
    PURCHASE_PER_SESSION,
    REC_CTR,
    REC_SLOTS,
    REIDENTIFY_SHARE,
    SCROLL_LEVELS,
    SCROLL_MIX,
    SEQ_CLICK_AFTER_IMPRESSION,
    SEQ_REMOVE_AFTER_CART,
    SEQ_VIEW_AFTER_CLICK,
    SEQ_VIEW_BEFORE_CART,
    VIDEO_LOG_SECONDS,
    VIDEO_LOG_SECONDS_SD,
    VIDEO_SECONDS_RANGE,
    VIDEO_WATCHED_SHARE,
)
from tailor.generator.experiments import ASSIGN_MARGIN_S, REGISTRY, Assignment, ExperimentUnits, assign
from tailor.generator.orders import simulate_orders
from tailor.generator.population import Population
from tailor.generator.streams import events_table, identifies_table, pages_table
from tailor.generator.vocab import REC_PLACEMENTS
from tailor.generator.world import (
    ET,
    FROM_RECOMMENDATION,
    CarouselExposure,
    CarouselUnits,
    CarouselWindow,
    EventRows,
    Sessions,
    StreamRows,
    TimedEvents,
    World,
    group_first,
    group_rank,
)

BROWSE_CODES = np.array([ET[t] for t in BROWSE_TYPES])
NEVER = 1 << 40  # login ordinal of a device that never signs in


@dataclass
class ChunkResult:
    """Everything one chunk simulates: landing rows per stream and snapshot, and what the truth counts."""

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
    """Sessions of persons [lo, hi): day and hour, device, and whether the device is signed in by then."""
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
    ordinal[by_slot] = group_rank(device_slot[by_slot])
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
    purchase[candidates[group_first(unit[candidates])]] = True
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
    orders, items, checkout_values = simulate_orders(rng, world, sessions, events, CarouselUnits(rec, converted), chunk)
    session_user = _session_user(sessions, pop)
    event_stream = events_table(rng, world, sessions, events, session_user, checkout_values)
    pages = pages_table(rng, world, sessions, events, session_user)
    identifies = identifies_table(rng, world, sessions)
    assign_table = _assignments_table(rng, world, assignments)

    n_orders = np.bincount(pc.cast(orders["_person"], pa.int64()).to_numpy() - lo, minlength=hi - lo)
    exp_units = [_experiment_units(pop, a, CarouselUnits(rec, converted) if a is rec else None, exposure, lo)
                 for a in assignments]
    return ChunkResult(
        events=event_stream, pages=pages, identifies=identifies, orders=orders, order_items=items,
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
    browse_seq = group_rank(browse_session).astype(float)
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
    position = group_rank(funnel_session)
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
    first = group_first(rows.session)
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


def _session_user(sessions: Sessions, pop: Population) -> pa.Array:
    """The user_id each session's rows carry: the login, a buggy-SDK placeholder, or null."""
    person = sessions.person
    user = np.where(sessions.logged_in, pop.user_id[person], None)
    placeholder = pop.placeholder[person]  # index into PLACEHOLDER_USER_IDS, -1 for none
    values = np.array(PLACEHOLDER_USER_IDS, dtype=object)
    user = np.where((placeholder >= 0) & sessions.on_primary_device, values[np.maximum(placeholder, 0)], user)
    return pa.array(user, pa.string())


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
