"""Writing the landing layout: stream partitions by arrival day, snapshot files as of a day, row counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tailor.generator import text
from tailor.landing import TABLES, LandingTable

ARROW_TYPES = {"VARCHAR": pa.string(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(), "INTEGER": pa.int32()}
STREAMS = ("web.pages", "web.identifies", "events.events")
SNAPSHOTS = tuple(f"{t.source}.{t.name}" for t in TABLES if not t.partitioned)


def contract(name: str) -> LandingTable:
    source, table_name = name.split(".")
    return next(t for t in TABLES if t.source == source and t.name == table_name)


def schema(name: str) -> pa.Schema:
    """The arrow schema of a landing table, from the contract in tailor.landing."""
    return pa.schema([(column, ARROW_TYPES[kind]) for column, kind in contract(name).columns.items()])


def conform(name: str, table: pa.Table) -> pa.Table:
    """Exactly the contract's columns, in order and types (hidden '_' columns dropped)."""
    return table.select(list(contract(name).columns)).cast(schema(name))


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)


def write_stream_part(root: Path, pending_root: Path, name: str, clean: pa.Table, clean_day: np.ndarray,
                      dirty_rows: pa.Table, dirty_day: np.ndarray, part: int, end_day: int) -> dict[int, int]:
    """One part file per arrival day: the day's clean rows (in arrival order), then its dirty rows.

    clean_day must be sorted. Days after end_day go to pending/<dt>/. Returns rows per day."""
    clean, dirty_rows = conform(name, clean), conform(name, dirty_rows)
    folder = contract(name).folder
    counts: dict[int, int] = {}
    days = np.union1d(np.unique(clean_day), np.unique(dirty_day)).astype(np.int64)
    lo = np.searchsorted(clean_day, days, side="left")
    hi = np.searchsorted(clean_day, days, side="right")
    for d, a, b in zip(days, lo, hi, strict=True):
        extra = np.flatnonzero(dirty_day == d)
        parts = [clean.slice(a, b - a)]
        if len(extra):
            parts.append(dirty_rows.take(pa.array(extra)))
        table = pa.concat_tables(parts)
        label = text.day_label(int(d))
        base = root if d <= end_day else pending_root / label
        write_parquet(table, base / folder / f"dt={label}" / f"part-{part:05d}.parquet")
        counts[int(d)] = table.num_rows
    return counts


def orders_as_of(table: pa.Table, at_s: float) -> pa.Table:
    """Order status and updated_at as an export taken at at_s would show them; a row with a `_version_at`
    (an earlier version the change stream still carries) shows the order as it was then."""
    if "_version_at" in table.column_names:
        at_s = np.minimum(at_s, table["_version_at"].to_numpy(zero_copy_only=False))
    t_ship = table["_t_ship"].to_numpy()
    t_deliver = table["_t_deliver"].to_numpy()
    t_final = table["_t_final"].to_numpy()
    kind = table["_final_kind"].to_numpy()
    created = table["_visible_at"].to_numpy()
    final_done = t_final <= at_s
    status = np.select(
        [(kind == 2) & final_done, (kind == 1) & final_done, t_deliver <= at_s, t_ship <= at_s],
        ["cancelled", "refunded", "delivered", "shipped"], "placed")
    updated = created.copy()
    for t in (t_ship, t_deliver, t_final):
        updated = np.where(t <= at_s, np.maximum(updated, t), updated)
    table = table.set_column(table.schema.get_field_index("status"), "status", pa.array(status, pa.string()))
    return table.set_column(table.schema.get_field_index("updated_at"), "updated_at", text.iso(updated))


def earlier_order_versions(rng: np.random.Generator, orders: pa.Table, at_s: float,
                           share: float = 0.3) -> pa.Table:
    """Versions before the refund of a share of the orders refunded by at_s: the order as it stood a second
    before (delivered or shipped, an earlier updated_at), marked with `_version_at`."""
    kind = orders["_final_kind"].to_numpy()
    t_final = orders["_t_final"].to_numpy()
    refunded = np.flatnonzero((kind == 1) & (t_final <= at_s))
    chosen = np.sort(refunded[rng.random(len(refunded)) < share])
    versions = orders.take(pa.array(chosen, pa.int64()))
    return versions.append_column("_version_at", pa.array(t_final[chosen] - 1.0))


def contacts_as_of(table: pa.Table, at_s: float) -> pa.Table:
    """LastModifiedDate as of at_s: the later edit once it has happened."""
    modified = table["_t_modified"].to_numpy()
    created = table["_visible_at"].to_numpy()
    shown = np.where(modified <= at_s, modified, created)
    i = table.schema.get_field_index("LastModifiedDate")
    return table.set_column(i, "LastModifiedDate", text.iso(shown))


def snapshot_as_of(name: str, table: pa.Table, at_s: float) -> pa.Table:
    """The rows an export at at_s contains (created by then), with time-varying columns as of then."""
    if "_visible_at" in table.column_names:
        table = table.filter(pc.less_equal(table["_visible_at"], at_s))
    if name == "commerce.orders":
        table = orders_as_of(table, at_s)
    elif name == "crm.contacts":
        table = contacts_as_of(table, at_s)
    return conform(name, table)


def write_snapshot(root: Path, name: str, table: pa.Table) -> int:
    write_parquet(table, root / contract(name).path)
    return table.num_rows


def count_rows(root: Path) -> dict[str, int]:
    """Raw rows per landing table under a landing root, from parquet footers."""
    counts = {}
    for t in TABLES:
        pattern = t.path
        files = sorted(root.glob(pattern))
        counts[f"{t.source}.{t.name}"] = sum(pq.read_metadata(f).num_rows for f in files)
    return counts


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
