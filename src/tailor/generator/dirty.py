"""Dirty rows: ~1% extra rows per table, each with exactly one problem named by its quarantine reason.

Every dirty row is a copy of a clean row with one field broken (a fresh key unless the reason is about the
key), so the clean rows stay complete and trip no check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.config import DAY_S

REASONS: dict[str, tuple[str, ...]] = {
    "crm.contacts": ("missing_contact_id", "duplicate_contact_id", "malformed_email", "invalid_timestamp",
                     "implausible_timestamp", "oversized_record"),
    "web.pages": ("missing_message_id", "duplicate_message_id", "missing_identity", "invalid_timestamp",
                  "future_timestamp", "implausible_timestamp", "oversized_record"),
    "web.identifies": ("missing_message_id", "duplicate_message_id", "missing_user_id", "invalid_timestamp",
                       "future_timestamp", "implausible_timestamp", "oversized_record"),
    "events.events": ("missing_event_id", "duplicate_event_id", "missing_identity", "invalid_timestamp",
                      "future_timestamp", "implausible_timestamp", "unknown_event_type", "invalid_json",
                      "orphan_item_id", "oversized_record"),
    "commerce.orders": ("missing_order_id", "duplicate_order_id", "missing_customer_id", "invalid_timestamp",
                        "implausible_timestamp", "unknown_currency", "negative_amount", "total_mismatch",
                        "oversized_record"),
    "commerce.order_items": ("missing_order_item_id", "duplicate_order_item_id", "orphan_order_id",
                             "orphan_product_id", "non_positive_quantity", "negative_amount", "oversized_record"),
    "catalog.products": ("missing_product_id", "duplicate_product_id", "negative_price", "implausible_timestamp",
                         "oversized_record"),
    "support.tickets": ("missing_ticket_id", "duplicate_ticket_id", "malformed_email", "empty_body",
                        "invalid_timestamp", "implausible_timestamp", "oversized_record"),
    "privacy.consent_events": ("missing_consent_event_id", "missing_identity", "unknown_purpose",
                               "invalid_status", "invalid_timestamp", "implausible_timestamp", "oversized_record"),
    "privacy.erasure_requests": ("missing_request_id", "unknown_identifier_type", "invalid_timestamp",
                                 "implausible_timestamp", "oversized_record"),
    "experiments.assignments": ("missing_assignment_id", "duplicate_assignment_id", "missing_unit_id",
                                "unknown_experiment", "invalid_timestamp", "implausible_timestamp",
                                "oversized_record"),
}
TIME_COLUMN = {
    "crm.contacts": "CreatedDate", "web.pages": "timestamp", "web.identifies": "timestamp",
    "events.events": "event_at", "commerce.orders": "created_at", "support.tickets": "created_at",
    "privacy.consent_events": "occurred_at", "privacy.erasure_requests": "requested_at",
    "experiments.assignments": "assigned_at", "catalog.products": "created_at",
}
# oversized_record: one text column per table made longer than var max_record_bytes (262,144) as text.
OVERSIZED_COLUMN = {
    "crm.contacts": "MailingCity", "web.pages": "title", "web.identifies": "context_user_agent",
    "events.events": "properties", "commerce.orders": "currency", "commerce.order_items": "product_id",
    "catalog.products": "description", "support.tickets": "body", "privacy.consent_events": "source",
    "privacy.erasure_requests": "identifier_value", "experiments.assignments": "variant",
}
OVERSIZED_CHARS = 300_000
# implausible_timestamp: a time before var earliest_valid_timestamp (2000-01-01), e.g. a 1970 epoch default.
IMPLAUSIBLE_BEFORE_S = 946_684_800.0
EMAIL_COLUMN = {"crm.contacts": "Email", "support.tickets": "customer_email"}
BAD_TIMESTAMPS = ("2026-13-45T99:00", "yesterday", "", "not a date", "31/02/2026 25:61", "2026-02-30T10:00:00Z")
BAD_JSON = ('{"price": 12.5, "currency": "US', "{'price': 12.5}", "price=12.5&currency=USD", '{"slot": }')


@dataclass(frozen=True)
class Dirty:
    rows: pa.Table  # same schema as the clean table
    reason: np.ndarray  # object str
    key_value: list  # str or None
    base: np.ndarray  # index of the clean row each dirty row was copied from
    shift_days: np.ndarray  # redelivered duplicates arrive this many days after their original


def _set(table: pa.Table, column: str, values: pa.Array | list) -> pa.Table:
    i = table.schema.get_field_index(column)
    field = table.schema.field(i)
    return table.set_column(i, field, pa.array(values, field.type) if not isinstance(values, pa.Array)
                            else values.cast(field.type))


def _shift_stamp(stamps: pa.Array, seconds: np.ndarray) -> pa.Array:
    parsed = pc.strptime(pc.utf8_slice_codeunits(stamps, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="s")
    epoch = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    millis = pc.cast(pc.utf8_slice_codeunits(stamps, 20, 23), pa.int64()).to_numpy(zero_copy_only=False)
    return text.iso(epoch + millis / 1000.0 + seconds)


def _malformed(emails: pa.Array, rng: np.random.Generator) -> list[str]:
    out = []
    for value, k in zip(emails.to_pylist(), rng.integers(0, 3, len(emails)), strict=True):
        value = (value or "jane.doe@example.org").strip().lower()
        local, _, domain = value.partition("@")
        out.append((f"{local}{domain}", f"{local}@@{domain}", f"{local}@")[k])
    return out


def plant(rng: np.random.Generator, name: str, clean: pa.Table, key: str, share: float,
          new_keys: Callable[[int], pa.Array], at_least_one: bool = True,
          context: dict | None = None) -> Dirty:
    """Dirty copies of random clean rows, a Binomial(n, share / #reasons) number per reason.

    context: values some reasons need (orphan_item_ids, orphan_product_ids, orphan_order_ids, can_shift)."""
    context = context or {}
    reasons = REASONS[name]
    n = clean.num_rows
    counts = rng.binomial(n, share / len(reasons), len(reasons)) if n else np.zeros(len(reasons), dtype=np.int64)
    if at_least_one and n:
        counts = np.maximum(counts, 1)
    tables, reason_out, keys_out, bases, shifts = [], [], [], [], []
    for reason, k in zip(reasons, counts, strict=True):
        if k == 0:
            continue
        candidates = np.arange(n)
        if reason == "orphan_item_id":
            candidates = np.flatnonzero(clean["item_id"].is_valid().to_numpy(zero_copy_only=False))
            if len(candidates) == 0:
                continue
        if reason == "oversized_record":
            k = 1  # one is proof enough; at scale l a share of 300 KB rows would be gigabytes
        base = rng.choice(candidates, size=k, replace=k > len(candidates))
        rows = clean.take(pa.array(base))
        shift = np.zeros(k, dtype=np.int64)
        if reason == reasons[0]:  # every table lists its missing-key reason first
            rows = _set(rows, key, pa.nulls(k, pa.string()))
            keys = [None] * k
        elif reason.startswith("duplicate_"):
            keys = rows[key].to_pylist()
            if context.get("can_shift") is not None:
                shift = np.where(rng.random(k) < 0.5, rng.integers(1, 3, k), 0)
                shift = np.where(context["can_shift"](base, shift), shift, 0)
                if shift.any():
                    rows = _set(rows, "received_at", _shift_stamp(rows["received_at"], shift * float(DAY_S)))
        else:
            fresh = new_keys(k)
            rows = _set(rows, key, fresh)
            keys = fresh.to_pylist()
            rows = _break(rng, name, reason, rows, context)
        tables.append(rows)
        reason_out += [reason] * k
        keys_out += keys
        bases.append(base)
        shifts.append(shift)
    if not tables:
        return Dirty(clean.slice(0, 0), np.array([], dtype=object), [], np.zeros(0, dtype=np.int64),
                     np.zeros(0, dtype=np.int64))
    return Dirty(pa.concat_tables(tables), np.array(reason_out, dtype=object), keys_out, np.concatenate(bases),
                 np.concatenate(shifts))


def _break(rng: np.random.Generator, name: str, reason: str, rows: pa.Table, context: dict) -> pa.Table:
    """Applies the one problem of `reason` to fresh-keyed copies."""
    k = rows.num_rows
    if reason == "missing_identity":
        rows = _set(rows, "anonymous_id", pa.nulls(k, pa.string()))
        return _set(rows, "user_id", pa.nulls(k, pa.string()))
    if reason in ("missing_user_id", "missing_customer_id", "missing_unit_id"):
        column = {"missing_user_id": "user_id", "missing_customer_id": "customer_id",
                  "missing_unit_id": "unit_id"}[reason]
        return _set(rows, column, pa.nulls(k, pa.string()))
    if reason == "invalid_timestamp":
        return _set(rows, TIME_COLUMN[name], list(text.pick(rng, BAD_TIMESTAMPS, k)))
    if reason == "future_timestamp":
        ahead = rng.uniform(2.0, 72.0, k) * 3600.0
        return _set(rows, TIME_COLUMN[name], _shift_stamp(rows["received_at"], ahead))
    if reason == "implausible_timestamp":
        return _set(rows, TIME_COLUMN[name], text.iso(rng.uniform(0.0, IMPLAUSIBLE_BEFORE_S - DAY_S, k)))
    if reason == "oversized_record":
        blob = "x" * OVERSIZED_CHARS
        value = '{"blob": "' + blob + '"}' if name == "events.events" else blob
        return _set(rows, OVERSIZED_COLUMN[name], [value] * k)
    if reason == "total_mismatch":
        return _set(rows, "total_amount", pc.add(pc.multiply(rows["total_amount"], 3.0), 100.0))
    if reason == "unknown_event_type":
        return _set(rows, "event_type", list(text.pick(rng, ("purchase_complete", "app_crash", "page_ping"), k)))
    if reason == "invalid_json":
        return _set(rows, "properties", list(text.pick(rng, BAD_JSON, k)))
    if reason == "orphan_item_id":
        return _set(rows, "item_id", list(rng.choice(context["orphan_item_ids"], k)))
    if reason == "orphan_product_id":
        return _set(rows, "product_id", list(rng.choice(context["orphan_product_ids"], k)))
    if reason == "orphan_order_id":
        return _set(rows, "order_id", text.numbered("O7", rng.integers(0, 999_999_999, k), 9))
    if reason == "unknown_currency":
        return _set(rows, "currency", list(text.pick(rng, ("BTC", "XTS", "ZZZ"), k)))
    if reason == "negative_amount":
        column = "total_amount" if name == "commerce.orders" else "unit_price"
        return _set(rows, column, pc.negate(pc.add(rows[column], 1.0)))
    if reason == "non_positive_quantity":
        return _set(rows, "quantity", pa.array(rng.integers(-1, 1, k).astype(np.int32), pa.int32()))
    if reason == "negative_price":
        return _set(rows, "price", pc.negate(pc.add(rows["price"], 1.0)))
    if reason == "malformed_email":
        return _set(rows, EMAIL_COLUMN[name], _malformed(rows[EMAIL_COLUMN[name]], rng))
    if reason == "empty_body":
        return _set(rows, "body", list(text.pick(rng, ("", "   "), k)))
    if reason == "unknown_purpose":
        return _set(rows, "purpose", list(text.pick(rng, ("advertising", "cookies", "profiling"), k)))
    if reason == "invalid_status":
        return _set(rows, "status", list(text.pick(rng, ("pending", "unknown", "maybe"), k)))
    if reason == "unknown_identifier_type":
        return _set(rows, "identifier_type", list(text.pick(rng, ("phone", "device_id", "ip_address"), k)))
    if reason == "unknown_experiment":
        return _set(rows, "experiment_id", list(text.pick(rng, ("exp_unknown_banner", "exp_legacy_test"), k)))
    raise ValueError(f"no dirty-row rule for {name}: {reason}")
