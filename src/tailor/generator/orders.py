"""Orders and order items from the purchase funnels, with a shipping / cancel / refund status timeline."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.config import (
    CANCEL_AFTER_HOURS,
    CANCEL_SHARE,
    CHECKOUT_TO_ORDER_S,
    COUPON_PROB,
    COUPON_RATE,
    COUPON_RATE_JITTER,
    CURRENCY_RATES_TO_USD,
    DAY_S,
    DELIVER_AFTER_DAYS,
    FREE_SHIPPING_FROM,
    LOYAL,
    MIN_UNIT_PRICE,
    ORDER_EMAIL_VARIANT_SHARE,
    REFUND_AFTER_DAYS,
    REFUND_SHARE,
    REFUND_SHARE_LOYAL,
    SALE_PRICE_FACTOR,
    SHIP_AFTER_DAYS,
    SHIPPING_FEE,
)
from tailor.generator.vocab import COUNTRIES
from tailor.generator.world import (
    ET,
    CarouselUnits,
    CheckoutValues,
    Sessions,
    TimedEvents,
    World,
    group_rank,
)

CURRENCY_OF_COUNTRY = {code: spec[3] for code, spec in COUNTRIES.items()}
ORDER_CANCELLED, ORDER_REFUNDED = 2, 1  # final kind of an order's status timeline (0: stays delivered)


def simulate_orders(rng: np.random.Generator, world: World, sessions: Sessions, events: TimedEvents,
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
    line_no = group_rank(line_order) + 1
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
