"""The planted truth: who is who, which rows are dirty, what consent was given, what experiments should show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tailor.generator import output, text
from tailor.generator.catalog import Catalog
from tailor.generator.config import CURRENCY_RATES_TO_USD, DAY_S, PERSONAS, SHARED_EMAILS
from tailor.generator.dirty import Dirty
from tailor.generator.experiments import REGISTRY, ExperimentUnits
from tailor.generator.population import Population


def normalize_email(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Lower-case and trimmed: the form emails are matched in."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


class Sightings:
    """First arrival day of every identifier value seen in any landed or pending row."""

    def __init__(self) -> None:
        self._parts: list[pa.Table] = []

    def _add(self, kind: str, values: pa.Array | pa.ChunkedArray, day: np.ndarray) -> None:
        table = pa.table({"value": values, "day": pa.array(day, pa.int64())}).filter(pc.is_valid(values))
        grouped = table.group_by("value").aggregate([("day", "min")]).rename_columns(["value", "day"])
        self._parts.append(grouped.append_column("identifier_type", pa.array([kind] * grouped.num_rows,
                                                                             pa.string())))

    def add_stream(self, table: pa.Table, day: np.ndarray) -> None:
        self._add("anonymous_id", table["anonymous_id"], day)
        self._add("user_id", table["user_id"], day)
        if "email" in table.column_names:
            self._add("email", normalize_email(table["email"]), day)

    def add_snapshots(self, orders: pa.Table, consent: pa.Table, assignments: pa.Table, contacts: pa.Table,
                      tickets: pa.Table) -> None:
        def day(table: pa.Table) -> np.ndarray:
            return text.day_index(table["_visible_at"].to_numpy())

        self._add("user_id", orders["customer_id"], day(orders))
        self._add("email", normalize_email(orders["email"]), day(orders))
        self._add("anonymous_id", consent["anonymous_id"], day(consent))
        self._add("user_id", consent["user_id"], day(consent))
        for unit_type in ("anonymous_id", "user_id"):
            rows = assignments.filter(pc.equal(assignments["unit_type"], unit_type))
            self._add(unit_type, rows["unit_id"], day(rows))
        self._add("crm_contact_id", contacts["Id"], day(contacts))
        self._add("email", normalize_email(contacts["Email"]), day(contacts))
        self._add("email", normalize_email(tickets["customer_email"]), day(tickets))

    def extend(self, other: Sightings) -> None:
        self._parts += other._parts

    def first_seen(self) -> pd.DataFrame:
        table = pa.concat_tables(self._parts)
        grouped = table.group_by(["identifier_type", "value"]).aggregate([("day", "min")])
        return grouped.rename_columns(["identifier_type", "identifier_value", "first_seen_day"]).to_pandas()


def identifiers_truth(pop: Population, contacts: pa.Table, sightings: Sightings) -> pd.DataFrame:
    """Every identifier that appears in the data, with its person; shared ones flagged, not resolved."""
    shared_anon = set(pop.dev_anon[pop.dev_shared])
    holders = np.flatnonzero(pop.has_account)
    email_people = np.flatnonzero(pop.has_account | ~pop.has_activity)
    frames = [
        pd.DataFrame({"person_index": pop.dev_person, "identifier_type": "anonymous_id",
                      "identifier_value": pop.dev_anon}),
        pd.DataFrame({"person_index": holders, "identifier_type": "user_id",
                      "identifier_value": pop.user_id[holders]}),
        pd.DataFrame({"person_index": email_people, "identifier_type": "email",
                      "identifier_value": pop.data_email[email_people]}),
        pd.DataFrame({"person_index": contacts["_person"].to_numpy(), "identifier_type": "crm_contact_id",
                      "identifier_value": contacts["Id"].to_numpy(zero_copy_only=False)}),
    ]
    ids = pd.concat(frames, ignore_index=True).drop_duplicates(["person_index", "identifier_type",
                                                                 "identifier_value"])
    ids["identifier_value"] = ids["identifier_value"].astype(str)
    ids["is_shared"] = ids["identifier_value"].isin(shared_anon) | ids["identifier_value"].isin(SHARED_EMAILS)
    seen = sightings.first_seen()
    ids = ids.merge(seen, on=["identifier_type", "identifier_value"], how="inner")
    ids["first_seen_s"] = (ids["first_seen_day"] + 1) * DAY_S
    ids["first_seen_dt"] = [text.day_label(d) for d in ids["first_seen_day"]]
    ids["person_key"] = pop.person_key[ids["person_index"].to_numpy()]
    return ids.sort_values(["person_index", "identifier_type", "identifier_value"]).reset_index(drop=True)


def dirty_frame(name: str, planted: Dirty, day: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "table": pd.Series([name] * len(planted.reason), dtype=object),
        "reason": pd.Series(planted.reason, dtype=object),
        "key_value": pd.Series(planted.key_value, dtype=object),
        "dt": pd.Series([text.day_label(d) for d in day], dtype=object),
    })


def dirty_counts(dirty_rows: pd.DataFrame, end_date: str) -> dict[str, dict[str, int]]:
    """Dirty rows per (table, reason) that have landed by end_date."""
    landed = dirty_rows[dirty_rows["dt"] <= end_date]
    counts: dict[str, dict[str, int]] = {}
    for (table, reason), n in landed.groupby(["table", "reason"]).size().items():
        counts.setdefault(table, {})[reason] = int(n)
    return counts


def persons_truth(pop: Population, catalog: Catalog, now: dict[str, np.ndarray], erased: np.ndarray,
                  n_sessions: np.ndarray, n_orders: np.ndarray, first_active: np.ndarray) -> pa.Table:
    cats = np.array(catalog.category_names, dtype=object)
    brands = np.array(catalog.brand_names, dtype=object)
    fav_c = [list(cats[row[row >= 0]]) for row in pop.fav_categories]
    fav_b = [list(brands[row[row >= 0]]) for row in pop.fav_brands]
    first_ms = np.where(np.isfinite(first_active), first_active * 1000, 0).astype("int64")
    return pa.table({
        "person_key": pa.array(pop.person_key, pa.string()),
        "persona": pa.array(np.array(PERSONAS, dtype=object)[pop.persona], pa.string()),
        "is_erased": erased,
        "consent_personalization_now": now["personalization"],
        "consent_marketing_now": now["marketing"],
        "consent_analytics_now": now["analytics"],
        "has_activity": n_sessions > 0,
        "has_account": pop.has_account,
        "user_id": pa.array(pop.user_id, pa.string()),
        "country_code": pa.array(pop.country, pa.string()),
        "favorite_categories": pa.array(fav_c, pa.list_(pa.string())),
        "favorite_brands": pa.array(fav_b, pa.list_(pa.string())),
        "n_devices": pop.n_dev,
        "n_sessions": n_sessions,
        "n_orders": n_orders,
        "first_active_at": pa.array(first_ms, pa.timestamp("ms", tz="UTC"), mask=~np.isfinite(first_active)),
    })


def experiments_truth(exp_units: list[ExperimentUnits], pop: Population, orders: pa.Table,
                      end_s: float) -> tuple[dict, pd.DataFrame]:
    """Planted design per experiment plus the realized per-variant conversion and revenue."""
    units = pd.concat([pd.DataFrame(vars(u)) for u in exp_units], ignore_index=True)
    status = output.orders_as_of(orders, end_s)
    rate = np.array([CURRENCY_RATES_TO_USD[c] for c in status["currency"].to_pylist()])
    o = pd.DataFrame({
        "person": status["_person"].to_numpy(), "created": status["_visible_at"].to_numpy(),
        "ok": pc.not_equal(status["status"], "cancelled").to_numpy(zero_copy_only=False),
        "usd": status["total_amount"].to_numpy() * rate,
    })
    o = o[o["ok"]]
    summary = {}
    rows = []
    for e in REGISTRY:
        u = units[units["experiment_id"] == e.experiment_id].reset_index(drop=True)
        u["unit"] = np.arange(len(u))
        joined = u.merge(o, on="person", how="inner")
        joined = joined[(joined["created"] >= joined["assigned_at"]) & (joined["created"] < e.end_s)]
        revenue = joined.groupby("unit")["usd"].sum()
        u["converted"] = u["unit"].isin(joined["unit"])
        u["revenue_usd"] = u["unit"].map(revenue).fillna(0.0)
        counts = {e.variants[v]: int((u["variant"] == v).sum()) for v in range(len(e.variants))}
        summary[e.experiment_id] = {
            "kind": e.kind,
            "unit_type": e.unit_type,
            "primary_metric": e.primary_metric,
            "started_at": e.started_at,
            "ended_at": e.ended_at,
            "planned_split": dict(zip(e.variants, e.planned_split, strict=True)),
            "assignment_probability": dict(zip(e.variants, e.assigned_split, strict=True)),
            "srm_expected": e.kind == "srm",
            "planted_relative_lift": {"conversion_rate": e.conversion_lift, "rec_ctr": e.rec_ctr_lift},
            "assigned_counts": counts,
            "baseline_rate": float(u.loc[u["variant"] == 0, "p_base"].mean()) if len(u) else None,
            "realized_conversion_rate": {e.variants[v]: float(u.loc[u["variant"] == v, "converted"].mean())
                                         for v in range(len(e.variants)) if (u["variant"] == v).any()},
            "realized_rec_ctr": {
                e.variants[v]: float(u.loc[u["variant"] == v, "rec_clicks"].sum()
                                     / max(u.loc[u["variant"] == v, "rec_impressions"].sum(), 1))
                for v in range(len(e.variants)) if (u["variant"] == v).any()} if e.rec_ctr_lift else None,
            "realized_revenue_per_user_usd": {
                e.variants[v]: float(u.loc[u["variant"] == v, "revenue_usd"].mean())
                for v in range(len(e.variants)) if (u["variant"] == v).any()},
        }
        u["variant_name"] = np.array(e.variants, dtype=object)[u["variant"].to_numpy()]
        rows.append(u)
    units = pd.concat(rows, ignore_index=True)
    units["person_key"] = pop.person_key[units["person"].to_numpy()]
    units["assigned_at"] = pd.to_datetime(units["assigned_at"], unit="s", utc=True)
    columns = ["experiment_id", "person_key", "variant_name", "assigned_at", "p_base", "converted_draw", "converted",
               "revenue_usd", "rec_impressions", "rec_clicks"]
    frame = units[columns].rename(columns={"variant_name": "variant"})
    return summary, frame


def write_truth(folder: Path, *, manifest: dict, persons: pa.Table, identifiers: pd.DataFrame,
                dirty_rows: pd.DataFrame, intervals: pa.Table, pop: Population,
                experiments: tuple[dict, pd.DataFrame], tickets: tuple[pa.Table, np.ndarray, np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    output.write_json(folder / "manifest.json", manifest)
    pq.write_table(persons, folder / "persons.parquet")
    ident = identifiers[["person_key", "identifier_type", "identifier_value", "is_shared", "first_seen_dt"]]
    pq.write_table(pa.Table.from_pandas(ident, preserve_index=False), folder / "identifiers.parquet")
    pq.write_table(pa.Table.from_pandas(dirty_rows, preserve_index=False), folder / "dirty_rows.parquet")
    valid_to = intervals["valid_to"].to_numpy(zero_copy_only=False).astype(float)
    pq.write_table(pa.table({
        "person_key": pa.array(pop.person_key[intervals["person"].to_numpy()], pa.string()),
        "purpose": intervals["purpose"],
        "valid_from": pa.array((intervals["valid_from"].to_numpy() * 1000).astype("int64"),
                               pa.timestamp("ms", tz="UTC")),
        "valid_to": pa.array(np.nan_to_num(valid_to * 1000, nan=0).astype("int64"), pa.timestamp("ms", tz="UTC"),
                             mask=np.isnan(valid_to)),
        "is_granted": intervals["is_granted"],
    }), folder / "consent_intervals.parquet")
    summary, units = experiments
    output.write_json(folder / "experiments.json", summary)
    pq.write_table(pa.Table.from_pandas(units, preserve_index=False), folder / "experiment_units.parquet")
    table, person, tone = tickets
    pq.write_table(pa.table({
        "ticket_id": table["ticket_id"],
        "person_key": pa.array(pop.person_key[person], pa.string()),
        "tone": pa.array(tone, pa.string()),
    }), folder / "tickets.parquet")
