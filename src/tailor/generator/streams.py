"""Landing tables of the web streams (events, pages, identifies): server receipt, properties, strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.config import (
    CHECKOUT_PAGE_BEFORE_EVENT_S,
    CURRENCY_RATES_TO_USD,
    DAY_S,
    IDENTIFY_AFTER_START_S,
    IDENTIFY_EMAIL_VARIANT_SHARE,
    LANDING_PAGE_AFTER_START_S,
    LANDING_PAGE_SHARE,
    LATE_DELAY_DAYS,
    LATE_EVENT_SHARE,
    LATE_PAGE_SHARE,
    PRODUCT_PAGE_BEFORE_VIEW_S,
    RECEIPT_LOG_DELAY_S,
    SEARCH_BRAND_SHARE,
    SEARCH_NOUNS_PER_CATEGORY,
    SEARCH_RESULTS_MEAN,
    VIDEO_ID_END,
)
from tailor.generator.vocab import (
    CATEGORIES,
    FEATURES,
    REC_PLACEMENTS,
    REFERRER_SHARE,
    REFERRERS,
    SITE,
    UTM_SUFFIXES,
)
from tailor.generator.world import (
    ET,
    FROM_RECOMMENDATION,
    SOURCES,
    CheckoutValues,
    Sessions,
    StreamRows,
    TimedEvents,
    World,
)
from tailor.landing import EVENT_TYPES


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


def events_table(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
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


def pages_table(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
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


def identifies_table(rng: np.random.Generator, world: World, sessions: Sessions) -> StreamRows:
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
