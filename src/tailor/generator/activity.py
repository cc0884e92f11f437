"""Sessions, behavioral events, page views, identifies and orders for one chunk of persons (vectorized)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.catalog import Catalog, ItemSampler
from tailor.generator.config import (
    BROWSE_MIX,
    BROWSE_TYPES,
    CONVERSION_BASE,
    COUPON_PROB,
    COUPON_RATE,
    CURRENCY_RATES_TO_USD,
    DAY_S,
    EVENTS_PER_SESSION,
    FAVORITE_AFFINITY,
    FAVORITE_BRAND_SHARE,
    ITEM_MODE,
    LATE_EVENT_SHARE,
    LOYAL,
    PLACEHOLDER_USER_IDS,
    PURCHASE_PER_SESSION,
    REC_CTR,
    SCROLL_LEVELS,
    SCROLL_MIX,
    VIDEO_LOG_SECONDS,
    ScaleConfig,
)
from tailor.generator.experiments import ASSIGN_MARGIN_S, REGISTRY, Assignment, assign
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
DIURNAL = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.8, 4, 4.2, 4, 3.8, 3.8, 4, 4.5, 5.5, 6.5, 7,
                    6, 4, 2], dtype=float)
DIURNAL /= DIURNAL.sum()
CURRENCY_OF_COUNTRY = {code: spec[3] for code, spec in COUNTRIES.items()}
NEVER = 1 << 40


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


@dataclass
class ChunkResult:
    events: StreamRows
    pages: StreamRows
    identifies: StreamRows
    orders: pa.Table  # landing columns + hidden status timeline columns (see orders_as_of)
    order_items: pa.Table
    assignments: pa.Table
    sessions: dict[str, np.ndarray]
    session_user: pa.Array  # user_id carried by each session's rows
    persons: dict[str, np.ndarray]  # per person of the chunk: counts for the truth
    exp_units: list[dict[str, np.ndarray]] = field(default_factory=list)


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
    fav = rng.random(m) < FAVORITE_AFFINITY
    slot = np.floor(rng.random(m) ** 1.6 * pop.n_fav[persons]).astype(np.int64)
    cat = np.where(fav, pop.fav_categories[persons, slot], world.category_pick[rng.integers(0, len(
        world.category_pick), m)])
    brand = np.where(fav & (rng.random(m) < FAVORITE_BRAND_SHARE), pop.fav_brands[persons, slot], -1)
    mode_cum = np.cumsum(ITEM_MODE, axis=1)[pop.persona[persons]]
    mode = (rng.random(m)[:, None] > mode_cum).sum(axis=1).clip(0, 2)
    return world.sampler.sample(rng, cat, mode, brand)


def _sessions(rng: np.random.Generator, world: World, lo: int, hi: int) -> dict[str, np.ndarray]:
    pop = world.pop
    persons = np.arange(lo, hi)
    n_sess = rng.poisson(pop.session_rate[persons])
    n_sess = np.where(pop.has_activity[persons], np.maximum(n_sess, 1), 0)
    s_person = np.repeat(persons, n_sess)
    ns = len(s_person)
    a, b = pop.active_from_day[s_person], pop.active_to_day[s_person]
    day = a + np.floor(rng.random(ns) * (b - a + 1)).astype(np.int64)
    tod = rng.choice(24, ns, p=DIURNAL) * 3600.0 + rng.random(ns) * 3600.0
    s_start = world.start_s + day * float(DAY_S) + tod
    order = np.lexsort((s_start, s_person))
    s_person, s_start = s_person[order], s_start[order]
    nd = pop.n_dev[s_person]
    k = np.where(rng.random(ns) < 0.6, 0, np.floor(rng.random(ns) * nd).astype(np.int64))
    s_slot = pop.dev_offset[s_person] + k

    slot_lo = int(pop.dev_offset[lo]) if hi > lo else 0
    slot_hi = int(pop.dev_offset[hi - 1] + pop.n_dev[hi - 1]) if hi > lo else 0
    slots = np.arange(slot_lo, slot_hi)
    m = len(slots)
    # Account holders sign in on most devices, usually on the first visit (a saved login, a checkout);
    # the rest sign in a few sessions later, and a small share of secondary devices is never signed in.
    login_ord = np.where(rng.random(m) < 0.88, 0, rng.geometric(0.5, m))
    primary = slots == pop.dev_offset[pop.dev_person[slots]]
    never = (~primary & (rng.random(m) < 0.015)) | ~pop.has_account[pop.dev_person[slots]]
    login_ord = np.where(never, NEVER, login_ord)

    by_slot = np.lexsort((s_start, s_slot))
    ordinal = np.empty(ns, dtype=np.int64)
    ordinal[by_slot] = _group_rank(s_slot[by_slot])
    s_login_ord = login_ord[s_slot - slot_lo]
    logged_in = ordinal >= s_login_ord
    identify = (ordinal == s_login_ord) | (logged_in & (rng.random(ns) < 0.08))
    return {
        "person": s_person, "start": s_start, "slot": s_slot, "logged_in": logged_in, "identify": identify,
        "primary": s_slot == pop.dev_offset[s_person],
    }


def _plant_conversions(rng: np.random.Generator, world: World, s: dict[str, np.ndarray], purchase: np.ndarray,
                       rec: Assignment, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Draws each exp_rec_carousel unit's conversion and makes its in-window purchases follow the draw.

    Returns (converted per unit, purchase flag per session)."""
    persona = world.pop.persona[rec.person]
    converted = rng.random(len(rec.person)) < CONVERSION_BASE[persona] * (
        1.0 + rec.experiment.conversion_lift * rec.variant)
    unit_of = np.full(hi - lo, -1, dtype=np.int64)
    unit_of[rec.person - lo] = np.arange(len(rec.person))
    u = unit_of[s["person"] - lo]
    has_unit = u >= 0
    uu = np.where(has_unit, u, 0)
    eligible = has_unit & s["logged_in"] & (s["start"] >= rec.assigned_at[uu]) & (
        s["start"] < rec.experiment.end_s - ASSIGN_MARGIN_S)
    purchase = purchase & ~(eligible & ~converted[uu])
    has_purchase = np.bincount(u[eligible & purchase], minlength=len(rec.person)) > 0
    need = converted & ~has_purchase
    candidates = np.flatnonzero(eligible & need[uu])
    order = np.lexsort((rng.random(len(candidates)), u[candidates]))
    candidates = candidates[order]
    purchase[candidates[_group_first(u[candidates])]] = True
    return converted, purchase


def simulate_chunk(rng: np.random.Generator, world: World, chunk: int, lo: int, hi: int) -> ChunkResult:
    """All web/event/commerce activity of persons [lo, hi)."""
    pop = world.pop
    s = _sessions(rng, world, lo, hi)
    ns = len(s["person"])
    s_persona = pop.persona[s["person"]]
    assignments = [assign(rng, e, s["person"], s["slot"], s["start"], s["logged_in"], pop.dev_shared)
                   for e in REGISTRY]
    rec = next(a for a in assignments if a.experiment.experiment_id == "exp_rec_carousel")

    purchase = s["logged_in"] & (rng.random(ns) < PURCHASE_PER_SESSION[s_persona])
    converted, purchase = _plant_conversions(rng, world, s, purchase, rec, lo, hi)
    treat_from = np.full(hi - lo, np.inf)
    treat_from[rec.person[rec.variant == 1] - lo] = rec.assigned_at[rec.variant == 1]
    exposed_from = np.full(hi - lo, np.inf)
    exposed_from[rec.person - lo] = rec.assigned_at

    ev, rec_views, rec_clicks = _event_rows(rng, world, s, s_persona, purchase, treat_from, exposed_from, lo)
    orders, items, checkout_value = _orders(rng, world, s, ev, rec, converted, chunk, lo)
    s_user = _session_user(s, pop)
    events = _events_table(rng, world, s, ev, s_user, checkout_value)
    pages = _pages(rng, world, s, ev, s_user)
    identifies = _identifies(rng, world, s)
    assign_table = _assignments_table(rng, world, assignments)

    n_orders = np.bincount(pc.cast(orders["_person"], pa.int64()).to_numpy() - lo, minlength=hi - lo)
    persons = {
        "n_sessions": np.bincount(s["person"] - lo, minlength=hi - lo),
        "n_orders": n_orders,
    }
    exp_units = [
        {"experiment_id": np.full(len(a.unit), a.experiment.experiment_id, dtype=object), "person": a.person,
         "variant": a.variant, "assigned_at": a.assigned_at,
         "p_base": CONVERSION_BASE[pop.persona[a.person]],
         "converted_draw": converted if a is rec else np.zeros(len(a.unit), dtype=bool),
         "rec_impressions": rec_views[a.person - lo] if a is rec else np.zeros(len(a.unit), dtype=np.int64),
         "rec_clicks": rec_clicks[a.person - lo] if a is rec else np.zeros(len(a.unit), dtype=np.int64)}
        for a in assignments
    ]
    return ChunkResult(events, pages, identifies, orders, items, assign_table, s, s_user, persons, exp_units)


def _concat_parts(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _part(sess: np.ndarray, seq: np.ndarray, etype: int | np.ndarray, item: np.ndarray, **extra: np.ndarray
          ) -> dict[str, np.ndarray]:
    n = len(sess)
    row = {
        "sess": sess, "seq": seq.astype(float), "type": np.broadcast_to(np.asarray(etype), (n,)).astype(np.int64),
        "item": item.astype(np.int64), "src": np.zeros(n, dtype=np.int64), "qty": np.ones(n, dtype=np.int64),
        "slot": np.zeros(n, dtype=np.int64), "placement": np.zeros(n, dtype=np.int64),
        "funnel": np.zeros(n, dtype=bool),
    }
    for key, value in extra.items():
        row[key] = np.broadcast_to(np.asarray(value), (n,)).astype(row[key].dtype)
    return row


def _event_rows(rng: np.random.Generator, world: World, s: dict[str, np.ndarray], s_persona: np.ndarray,
                purchase: np.ndarray, treat_from: np.ndarray, exposed_from: np.ndarray, lo: int
                ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Every event of the chunk's sessions in time order: browse mix, cart companions, rec clicks, funnels.

    Also returns per person of the chunk the recommendation impressions and clicks since exp_rec_carousel
    assignment (the planted rec_ctr lift)."""
    ns = len(s_persona)
    n_browse = 1 + rng.poisson(EVENTS_PER_SESSION[s_persona] - 1.0)
    b_sess = np.repeat(np.arange(ns), n_browse)
    b_seq = _group_rank(b_sess).astype(float)
    mix_cum = np.cumsum(BROWSE_MIX, axis=1)[s_persona[b_sess]]
    b_kind = (rng.random(len(b_sess))[:, None] > mix_cum).sum(axis=1).clip(0, len(BROWSE_TYPES) - 1)
    b_type = BROWSE_CODES[b_kind]
    b_item = np.full(len(b_sess), -1, dtype=np.int64)
    with_item = np.isin(b_type, [ET["product_view"], ET["add_to_cart"], ET["recommendation_impression"]])
    b_item[with_item] = pick_items(rng, world, s["person"][b_sess[with_item]])
    b_src = rng.choice(3, len(b_sess), p=[0.5, 0.3, 0.2])
    is_rec = b_type == ET["recommendation_impression"]
    b_slot = np.where(is_rec, rng.integers(1, 7, len(b_sess)), 0)
    b_place = rng.integers(0, len(REC_PLACEMENTS), len(b_sess))
    b_qty = np.where(rng.random(len(b_sess)) < 0.9, 1, 2)
    parts = [_part(b_sess, b_seq, b_type, b_item, src=b_src, slot=b_slot, placement=b_place, qty=b_qty)]

    atc = np.flatnonzero(b_type == ET["add_to_cart"])
    parts.append(_part(b_sess[atc], b_seq[atc] - 0.3, ET["product_view"], b_item[atc], src=b_src[atc]))
    removed = atc[rng.random(len(atc)) < 0.25]
    parts.append(_part(b_sess[removed], b_seq[removed] + 0.3, ET["remove_from_cart"], b_item[removed],
                       qty=b_qty[removed]))

    imp = np.flatnonzero(is_rec)
    imp_sess = b_sess[imp]
    lift = next(e for e in REGISTRY if e.experiment_id == "exp_rec_carousel").rec_ctr_lift
    treated = s["start"][imp_sess] >= treat_from[s["person"][imp_sess] - lo]
    ctr = REC_CTR[s_persona[imp_sess]] * np.where(treated, 1.0 + lift, 1.0)
    is_click = rng.random(len(imp)) < ctr
    clicked = imp[is_click]
    imp_person = s["person"][imp_sess] - lo
    exposed = s["start"][imp_sess] >= exposed_from[imp_person]
    rec_views = np.bincount(imp_person[exposed], minlength=len(exposed_from))
    rec_clicks = np.bincount(imp_person[exposed & is_click], minlength=len(exposed_from))
    parts.append(_part(b_sess[clicked], b_seq[clicked] + 0.2, ET["recommendation_click"], b_item[clicked],
                       slot=b_slot[clicked], placement=b_place[clicked]))
    parts.append(_part(b_sess[clicked], b_seq[clicked] + 0.4, ET["product_view"], b_item[clicked], src=3))

    ps = np.flatnonzero(purchase)
    k = 1 + rng.binomial(2, 0.3, len(ps))
    f_sess = np.repeat(ps, k)
    j = _group_rank(f_sess)
    f_item = pick_items(rng, world, s["person"][f_sess])
    f_base = n_browse[f_sess].astype(float)
    f_qty = np.where(rng.random(len(f_sess)) < 0.85, 1, rng.integers(2, 4, len(f_sess)))
    parts.append(_part(f_sess, f_base + 2 * j, ET["product_view"], f_item, src=rng.choice(3, len(f_sess))))
    parts.append(_part(f_sess, f_base + 2 * j + 1, ET["add_to_cart"], f_item, qty=f_qty, funnel=True))
    parts.append(_part(ps, n_browse[ps] + 2.0 * k, ET["checkout_start"], np.full(len(ps), -1)))

    ev = _concat_parts(parts)
    order = np.lexsort((ev["seq"], ev["sess"]))
    ev = {key: value[order] for key, value in ev.items()}
    n = len(ev["sess"])
    persona = s_persona[ev["sess"]]
    video = ev["type"] == ET["video_play"]
    video_s = np.zeros(n)
    video_s[video] = np.clip(np.round(rng.lognormal(VIDEO_LOG_SECONDS[persona[video]], 0.6)), 3, 3600)
    first = _group_first(ev["sess"])
    gap = rng.exponential(18.0, n) + 1.0
    gap[1:] += video_s[:-1] * 0.9
    gap = np.where(first, rng.uniform(1.0, 5.0, n), gap)
    cs = np.cumsum(gap)
    head = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    ev["t"] = s["start"][ev["sess"]] + cs - cs[head] + gap[head]
    ev["video_s"] = video_s
    scroll = ev["type"] == ET["scroll_depth"]
    scroll_cum = np.cumsum(SCROLL_MIX, axis=1)[persona[scroll]]
    ev["scroll"] = np.zeros(n, dtype=np.int64)
    ev["scroll"][scroll] = SCROLL_LEVELS[(rng.random(scroll.sum())[:, None] > scroll_cum).sum(axis=1).clip(0, 3)]
    return ev, rec_views, rec_clicks


def _orders(rng: np.random.Generator, world: World, s: dict[str, np.ndarray], ev: dict[str, np.ndarray],
            rec: Assignment, converted: np.ndarray, chunk: int, lo: int
            ) -> tuple[pa.Table, pa.Table, dict[str, np.ndarray]]:
    """Orders and order items from the purchase funnels; status follows a shipping/refund timeline."""
    pop, cat = world.pop, world.catalog
    co = np.flatnonzero(ev["type"] == ET["checkout_start"])
    n_ord = len(co)
    o_sess = ev["sess"][co]
    o_person = s["person"][o_sess]
    created = ev["t"][co] + rng.uniform(20.0, 180.0, n_ord)
    order_of_sess = np.full(len(s["person"]), -1, dtype=np.int64)
    order_of_sess[o_sess] = np.arange(n_ord)
    fc = np.flatnonzero(ev["funnel"])
    i_order = order_of_sess[ev["sess"][fc]]
    i_item = ev["item"][fc]
    i_qty = ev["qty"][fc]
    currency = np.array([CURRENCY_OF_COUNTRY[c] for c in pop.country[o_person]], dtype=object)
    rate = np.array([CURRENCY_RATES_TO_USD[c] for c in currency]) if n_ord else np.zeros(0)
    sale = np.where(cat.on_sale[i_item], 0.8, 1.0)
    unit_price = np.maximum(np.round(cat.price[i_item] * sale / rate[i_order], 2), 0.5)
    line = np.round(unit_price * i_qty, 2)
    subtotal = np.round(np.bincount(i_order, weights=line, minlength=n_ord), 2)
    persona = pop.persona[o_person]
    coupon = rng.random(n_ord) < COUPON_PROB[persona]
    discount = np.where(coupon, np.round(subtotal * COUPON_RATE[persona] * rng.uniform(0.8, 1.2, n_ord), 2), 0.0)
    shipping = np.where(subtotal >= 50.0, 0.0, 4.99)
    total = np.round(subtotal - discount + shipping, 2)
    n_items = np.bincount(i_order, minlength=n_ord)
    codes = {c: k for k, c in enumerate(CURRENCY_RATES_TO_USD)}
    checkout_value = {"row": co, "subtotal": subtotal, "items": n_items,
                      "currency_code": np.array([codes[c] for c in currency], dtype=np.int64)}

    refund_p = np.where(persona == LOYAL, 0.02, 0.045)
    u = rng.random(n_ord)
    kind = np.where(u < 0.03, 2, np.where(u < 0.03 + refund_p, 1, 0))  # 2 cancelled, 1 refunded
    unit_of = np.full(len(pop.persona), -1, dtype=np.int64)
    unit_of[rec.person] = np.arange(len(rec.person))
    o_unit = unit_of[o_person]
    ou = np.where(o_unit >= 0, o_unit, 0)
    in_window = (o_unit >= 0) & (created >= rec.assigned_at[ou]) & (created < rec.experiment.end_s)
    kind = np.where(in_window, np.where(kind == 2, 0, kind), kind)
    keep = (created <= world.sim_end_s) & ~(in_window & ~converted[ou])

    t_ship = np.where(kind == 2, np.inf, created + rng.uniform(0.4, 2.0, n_ord) * DAY_S)
    t_deliver = t_ship + rng.uniform(1.0, 5.0, n_ord) * DAY_S
    t_final = np.where(kind == 2, created + rng.uniform(1.0, 20.0, n_ord) * 3600.0,
                       np.where(kind == 1, t_deliver + rng.uniform(3.0, 12.0, n_ord) * DAY_S, np.inf))
    order_id = text.numbered("O", 1_000_000_000 + chunk * 10_000_000 + np.arange(n_ord), 10)
    emails = text.email_variants(rng, pop.data_email[o_person], 0.25)
    orders = pa.table({
        "order_id": order_id,
        "customer_id": pa.array(pop.user_id[o_person], pa.string()),
        "email": emails,
        "status": pa.nulls(n_ord, pa.string()),
        "currency": pa.array(currency, pa.string()),
        "subtotal": subtotal,
        "discount": discount,
        "shipping": shipping,
        "total_amount": total,
        "created_at": text.iso(created),
        "updated_at": pa.nulls(n_ord, pa.string()),
        "_person": o_person,
        "_visible_at": created,
        "_t_ship": t_ship,
        "_t_deliver": t_deliver,
        "_t_final": t_final,
        "_final_kind": kind,
    }).filter(pa.array(keep))
    line_no = _group_rank(i_order) + 1
    items = pa.table({
        "order_item_id": text.join(pc.take(order_id, pa.array(i_order)), "-",
                                   text.to_str(line_no.astype(np.int64))),
        "order_id": pc.take(order_id, pa.array(i_order)),
        "product_id": pa.array(cat.product_id[i_item], pa.string()),
        "quantity": pa.array(i_qty.astype(np.int32), pa.int32()),
        "unit_price": unit_price,
        "_visible_at": created[i_order],
    }).filter(pa.array(keep[i_order]))
    return orders, items, checkout_value


def _session_user(s: dict[str, np.ndarray], pop: Population) -> pa.Array:
    """The user_id each session's rows carry: the login, a buggy-SDK placeholder, or null."""
    person = s["person"]
    user = np.where(s["logged_in"], pop.user_id[person], None)
    ph = pop.placeholder[person]
    values = np.array(PLACEHOLDER_USER_IDS, dtype=object)
    user = np.where((ph >= 0) & s["primary"], values[np.maximum(ph, 0)], user)
    return pa.array(user, pa.string())


def _received(rng: np.random.Generator, t: np.ndarray, late_share: float) -> np.ndarray:
    delay = rng.lognormal(-0.7, 0.8, len(t))
    late = rng.random(len(t)) < late_share
    return t + delay + np.where(late, rng.uniform(1.0, 3.0, len(t)) * DAY_S, 0.0)


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
    slot = np.floor(rng.random(len(persons)) * pop.n_fav[persons]).astype(np.int64)
    c = pop.fav_categories[persons, slot]
    nouns = pa.array([noun for name in cat.category_names for noun in CATEGORIES[name][1][:6]], pa.string())
    noun = nouns.take(pa.array(c * 6 + rng.integers(0, 6, len(c))))
    brands = pc.utf8_lower(pa.array(cat.brand_names, pa.string()))
    brand = brands.take(pa.array(np.maximum(pop.fav_brands[persons, slot], 0)))
    with_brand = pa.array(rng.random(len(persons)) < 0.3)
    return pc.if_else(with_brand, text.join(brand, " ", noun), noun)


def _events_table(rng: np.random.Generator, world: World, s: dict[str, np.ndarray], ev: dict[str, np.ndarray],
                  s_user: pa.Array, checkout_value: dict[str, np.ndarray]) -> StreamRows:
    pop = world.pop
    received, arrival = _arrival(rng, ev["t"], LATE_EVENT_SHARE, world)
    value_of_row = np.zeros(len(ev["t"]))
    currency_of_row = np.zeros(len(ev["t"]), dtype=np.int64)
    items_of_row = np.zeros(len(ev["t"]), dtype=np.int64)
    value_of_row[checkout_value["row"]] = checkout_value["subtotal"]
    currency_of_row[checkout_value["row"]] = checkout_value["currency_code"]
    items_of_row[checkout_value["row"]] = checkout_value["items"]
    value_of_row, currency_of_row, items_of_row = value_of_row[arrival], currency_of_row[arrival], items_of_row[arrival]
    ev = {key: value[arrival] for key, value in ev.items()}
    n = len(ev["t"])
    sess, etype, item = ev["sess"], ev["type"], ev["item"]
    slot = s["slot"][sess]
    event_at = ev["t"] + pop.dev_skew_s[slot]
    price = world.price_text.take(pa.array(np.maximum(item, 0)))
    props: list[pa.Array] = []
    positions: list[np.ndarray] = []

    def add(code: str, build) -> None:
        idx = np.flatnonzero(etype == ET[code])
        positions.append(idx)
        props.append(build(idx))

    sources = pa.array(["category", "search", "direct", "recommendation"])
    placements = pa.array(list(REC_PLACEMENTS))
    add("product_view", lambda i: _json(("price", pc.take(price, pa.array(i)), False), ("currency", "USD", True),
                                        ("source", pc.take(sources, pa.array(ev["src"][i])), True)))
    add("add_to_cart", lambda i: _json(("price", pc.take(price, pa.array(i)), False), ("currency", "USD", True),
                                       ("quantity", text.to_str(ev["qty"][i]), False)))
    add("remove_from_cart", lambda i: _json(("quantity", text.to_str(ev["qty"][i]), False)))
    add("search", lambda i: _json(("query", _search_queries(rng, world, s["person"][sess[i]]), True),
                                  ("results", text.to_str(rng.poisson(24, len(i))), False)))
    page_types = ("product", "home", "article", "category")
    add("scroll_depth", lambda i: _json(("percent", text.to_str(ev["scroll"][i]), False),
                                        ("page_type", text.choose(rng, page_types, len(i)),
                                         True)))
    add("video_play", lambda i: _json(("video_id", text.numbered("vid_", rng.integers(1, 5000, len(i)), 4), True),
                                      ("seconds", text.to_str(ev["video_s"][i].astype(np.int64)), False)))
    add("feature_use", lambda i: _json(("feature", text.choose(rng, FEATURES, len(i)), True)))
    currencies = pa.array(list(CURRENCY_RATES_TO_USD), pa.string())
    add("checkout_start", lambda i: _json(("cart_value", text.to_str(value_of_row[i]), False),
                                          ("currency", currencies.take(pa.array(currency_of_row[i])), True),
                                          ("items", text.to_str(items_of_row[i]), False)))
    for code in ("recommendation_impression", "recommendation_click"):
        add(code, lambda i: _json(("slot", text.to_str(ev["slot"][i]), False),
                                  ("placement", pc.take(placements, pa.array(ev["placement"][i])), True)))
    position = np.concatenate(positions)
    properties = pc.take(pa.concat_arrays([p.cast(pa.string()) for p in props]),
                         pa.array(np.argsort(position, kind="stable")))
    table = pa.table({
        "event_id": text.uuids(rng, n),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pc.take(s_user, pa.array(sess)),
        "event_type": pc.take(pa.array(list(EVENT_TYPES)), pa.array(etype)),
        "item_id": world.product_or_null.take(pa.array(item + 1)),
        "properties": properties,
        "event_at": text.iso(event_at),
        "received_at": text.iso(received),
    })
    return StreamRows(table, text.day_index(received))


def _pages(rng: np.random.Generator, world: World, s: dict[str, np.ndarray], ev: dict[str, np.ndarray],
           s_user: pa.Array) -> StreamRows:
    """Page views interleaved with the events: a landing page per session, then product and checkout pages.

    Rows are ordered numerically first; every string column is then one gather from a small vocabulary."""
    cat = world.catalog
    ns, n_items = len(s["person"]), len(cat.product_id)
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

    kind = rng.choice(4, ns, p=[0.5, 0.1, 0.1, 0.3])
    land_pick = np.where(kind < 3, kind, 3 + world.category_pick[rng.integers(0, len(world.category_pick), ns)])
    referrer_pick = rng.choice(len(REFERRERS), ns, p=REFERRER_SHARE)
    utm_pick = np.where(referrer_pick > 0, rng.integers(0, len(UTM_SUFFIXES), ns), 0)
    pv = np.flatnonzero(ev["type"] == ET["product_view"])
    co = np.flatnonzero(ev["type"] == ET["checkout_start"])
    n_pv, n_co = len(pv), len(co)
    page = n_land + ev["item"][pv]
    sess = np.concatenate([np.arange(ns), ev["sess"][pv], ev["sess"][co]])
    t = np.concatenate([s["start"] + 0.3, ev["t"][pv] - 0.8, ev["t"][co] - 0.5])
    path_idx = np.concatenate([land_pick, page, np.full(n_co, n_land + n_items)])
    suffix_idx = np.concatenate([utm_pick, np.where(ev["src"][pv] == 3, len(UTM_SUFFIXES), 0), np.zeros(n_co, int)])
    referrer_idx = np.concatenate([referrer_pick, np.full(n_pv, len(REFERRERS)), np.full(n_co, len(REFERRERS) + 1)])
    received, arrival = _arrival(rng, t, LATE_EVENT_SHARE / 2, world)
    sess, t, path_idx = sess[arrival], t[arrival], pa.array(path_idx[arrival])
    slot = s["slot"][sess]
    path = paths.take(path_idx)
    table = pa.table({
        "id": text.uuids(rng, len(t)),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pc.take(s_user, pa.array(sess)),
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


def _identifies(rng: np.random.Generator, world: World, s: dict[str, np.ndarray]) -> StreamRows:
    """An identify call (with the email trait as typed) at each login and at some later sessions."""
    pop = world.pop
    idx = np.flatnonzero(s["identify"])
    received, arrival = _arrival(rng, s["start"][idx] + 0.2, 0.0, world)
    idx = idx[arrival]
    person, slot = s["person"][idx], s["slot"][idx]
    t = s["start"][idx] + 0.2
    table = pa.table({
        "id": text.uuids(rng, len(idx)),
        "anonymous_id": world.anon.take(pa.array(slot)),
        "user_id": pa.array(pop.user_id[person], pa.string()),
        "timestamp": text.iso(t + pop.dev_skew_s[slot]),
        "received_at": text.iso(received),
        "email": text.email_variants(rng, pop.data_email[person], 0.3),
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
