"""generate(): simulates the world chunk by chunk and writes landing/, pending/ and truth/ for one scale."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import crm, dirty, output, support, text
from tailor.generator.activity import simulate_chunk
from tailor.generator.catalog import build_catalog
from tailor.generator.config import (
    CURRENCY_RATES_TO_USD,
    DAY_S,
    DIRTY_SHARE,
    ERASURE_SHARE,
    PERSONAS,
    PLACEHOLDER_USER_IDS,
    SHARED_EMAILS,
    ScaleConfig,
)
from tailor.generator.consent import consent_events, consent_now
from tailor.generator.experiments import REGISTRY, ExperimentUnits
from tailor.generator.population import Population, build_population
from tailor.generator.truth import (
    Sightings,
    dirty_counts,
    dirty_frame,
    experiments_truth,
    identifiers_truth,
    persons_truth,
    write_truth,
)
from tailor.generator.world import World, build_world
from tailor.privacy.salt import GENERATED_MARKER

STREAM_KEYS = {"events.events": "event_id", "web.pages": "id", "web.identifies": "id"}


@dataclass(frozen=True)
class ChunkJob:
    chunk: int
    lo: int
    hi: int
    landing: Path
    pending: Path
    end_day: int
    sim_end_day: int


@dataclass
class ChunkOutput:
    """What a chunk hands back after writing its stream partitions (small enough to pickle)."""

    SNAPSHOT_KEYS: ClassVar[tuple[str, ...]] = ("orders", "items", "assignments", "consent", "intervals")
    chunk: int
    lo: int
    hi: int
    snapshots: dict[str, pa.Table]
    sightings: Sightings
    dirty: list[pd.DataFrame]
    n_sessions: np.ndarray
    n_orders: np.ndarray
    first_person: np.ndarray
    first_start: np.ndarray
    exp_units: list[ExperimentUnits]
    n_events: int


def run_chunk(world: World, job: ChunkJob) -> ChunkOutput:
    """Simulates one chunk of persons, plants its dirty stream rows and writes its stream part files."""
    crng = np.random.default_rng([world.seed, 1, job.chunk])
    res = simulate_chunk(crng, world, job.chunk, job.lo, job.hi)
    sightings = Sightings()
    dirty_parts = []
    orphan_items = world.catalog.unused_ids[1000:]
    for name, rows in (("events.events", res.events), ("web.pages", res.pages),
                       ("web.identifies", res.identifies)):
        table, day = rows.table, rows.day
        sightings.add_stream(table, day)
        planted = dirty.plant(
            crng, name, table, STREAM_KEYS[name], DIRTY_SHARE, lambda k, r=crng: text.uuids(r, k),
            at_least_one=job.chunk == 0,
            context={"orphan_item_ids": orphan_items,
                     "can_shift": lambda base, shift, d=day: d[base] + shift <= job.sim_end_day})
        dirty_day = day[planted.base] + planted.shift_days
        output.write_stream_part(job.landing, job.pending, name, table, day, planted.rows, dirty_day, job.chunk,
                                 job.end_day)
        dirty_parts.append(dirty_frame(name, planted, dirty_day))
    consent, intervals = consent_events(crng, world.pop, res.sessions, res.session_user, world.sim_end_s)
    firsts = _firsts(res.sessions.person)
    return ChunkOutput(
        chunk=job.chunk, lo=job.lo, hi=job.hi,
        snapshots={"orders": res.orders, "items": res.order_items, "assignments": res.assignments,
                   "consent": consent, "intervals": intervals},
        sightings=sightings, dirty=dirty_parts, n_sessions=res.n_sessions,
        n_orders=res.n_orders, first_person=res.sessions.person[firsts],
        first_start=res.sessions.start[firsts], exp_units=res.exp_units, n_events=res.events.table.num_rows,
    )


_worker_world: list[World] = []  # set once per worker process by _init_worker (fork inherits the parent's)


def _init_worker(world: World) -> None:
    _worker_world.append(world)


def _run_in_worker(job: ChunkJob) -> ChunkOutput:
    return run_chunk(_worker_world[0], job)


def _run_jobs(world: World, jobs: list[ChunkJob], workers: int) -> Iterator[ChunkOutput]:
    """Chunk outputs in chunk order, from a fork-based process pool when workers > 1."""
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        for job in jobs:
            yield run_chunk(world, job)
        return
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_init_worker,
                             initargs=(world,)) as pool:
        yield from pool.map(_run_in_worker, jobs)


def _log(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def generate(cfg: ScaleConfig, out: str | Path, seed: int = 42, holdback_days: int = 1,
             progress: Callable[[str], None] | None = None, workers: int = 0) -> dict:
    """Writes out/landing/<scale>/, out/pending/<scale>/<dt>/ and out/truth/<scale>/; returns the manifest.

    workers: processes simulating chunks in parallel (0 = one per CPU); the output does not depend on it."""
    out = Path(out)
    landing, pending, truth = (out / part / cfg.name for part in ("landing", "pending", "truth"))
    for folder in (landing, pending, truth):
        shutil.rmtree(folder, ignore_errors=True)
    landing.mkdir(parents=True)
    clock = time.monotonic()
    start_s = text.epoch_s(cfg.start_date)
    end_day = text.epoch_s(cfg.end_date) // DAY_S
    end_s = float((end_day + 1) * DAY_S) - 0.001
    sim_end_day = end_day + holdback_days
    sim_end_s = float((sim_end_day + 1) * DAY_S) - 0.001

    rng = np.random.default_rng([seed, 0])
    catalog = build_catalog(rng, cfg, start_s)
    pop = build_population(rng, cfg, len(catalog.category_names), cfg.brands_per_category,
                           cfg.days + holdback_days)
    world = build_world(cfg, seed, pop, catalog, start_s, int(end_s), int(sim_end_s))
    orphan_items = catalog.unused_ids[1000:]
    sightings = Sightings()
    dirty_parts: list[pd.DataFrame] = []
    snap: dict[str, list[pa.Table]] = {key: [] for key in ChunkOutput.SNAPSHOT_KEYS}
    n_sessions = np.zeros(pop.n, dtype=np.int64)
    n_orders = np.zeros(pop.n, dtype=np.int64)
    first_active = np.full(pop.n, np.inf)
    exp_units = []
    n_events = 0
    jobs = [ChunkJob(chunk, lo, min(lo + cfg.chunk_persons, pop.n), landing, pending, end_day, sim_end_day)
            for chunk, lo in enumerate(range(0, pop.n, cfg.chunk_persons))]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    for done in _run_jobs(world, jobs, workers):
        sightings.extend(done.sightings)
        dirty_parts += done.dirty
        for key in ChunkOutput.SNAPSHOT_KEYS:
            snap[key].append(done.snapshots[key])
        n_sessions[done.lo: done.hi] = done.n_sessions
        n_orders[done.lo: done.hi] = done.n_orders
        first_active[done.first_person] = done.first_start
        exp_units += done.exp_units
        n_events += done.n_events
        _log(progress, f"chunk {done.chunk + 1}/{len(jobs)}: persons {done.lo}-{done.hi - 1}, "
                       f"{n_events:,} events so far ({time.monotonic() - clock:.0f}s)")

    orders = pa.concat_tables(snap["orders"])
    items = pa.concat_tables(snap["items"])
    assignments = pa.concat_tables(snap["assignments"])
    consent = pa.concat_tables(snap["consent"])
    intervals = pa.concat_tables(snap["intervals"])
    marketing_ever = _ever_granted(intervals, pop.n, "marketing")
    srng = np.random.default_rng([seed, 2])
    contacts = crm.contacts(srng, pop, start_s, first_active, marketing_ever)
    contacts, implausible_birthdates = crm.plant_implausible_birthdates(np.random.default_rng([seed, 3]), contacts)
    first_item = _first_items(orders, items, catalog.product_id)
    tickets, ticket_person, ticket_tone = support.tickets(srng, pop, catalog, orders, first_item, sim_end_s)
    sightings.add_snapshots(orders, consent, assignments, contacts, tickets)
    identifiers = identifiers_truth(pop, contacts, sightings)
    erasures = _erasures(srng, pop, identifiers, start_s, end_s)
    products = catalog.table.append_column("_visible_at", pa.array(
        np.full(catalog.table.num_rows, float(start_s - DAY_S))))

    serial = _Serial()
    snapshots = {
        "crm.contacts": (contacts, "Id", lambda k: text.alnum(srng, k, 15, "003")),
        "commerce.orders": (orders, "order_id", lambda k: text.numbered("O9", serial.take(k), 9)),
        "commerce.order_items": (items, "order_item_id",
                                 lambda k: text.numbered("O8", serial.take(k), 9)),
        "catalog.products": (products, "product_id",
                             lambda k: pa.array(list(catalog.unused_ids[serial.take(k) % 1000]), pa.string())),
        "support.tickets": (tickets, "ticket_id", lambda k: text.numbered("T9", serial.take(k), 7)),
        "privacy.consent_events": (consent, "consent_event_id", lambda k: text.uuids(srng, k)),
        "privacy.erasure_requests": (erasures, "request_id", lambda k: text.numbered("ER-9", serial.take(k), 6)),
        "experiments.assignments": (assignments, "assignment_id", lambda k: text.alnum(srng, k, 16, "asg_")),
    }
    full: dict[str, pa.Table] = {}
    for name, (table, key, new_keys) in snapshots.items():
        planted = dirty.plant(srng, name, table, key, DIRTY_SHARE, new_keys,
                              context={"orphan_item_ids": orphan_items, "orphan_product_ids": orphan_items})
        visible = table["_visible_at"].to_numpy()[planted.base]
        dirty_parts.append(dirty_frame(name, planted, text.day_index(visible)))
        full[name] = pa.concat_tables([table, planted.rows])
    # The orders extract is a change stream: refunded orders also land as the version before the refund, first.
    order_versions = output.earlier_order_versions(np.random.default_rng([seed, 4]), orders, end_s)
    full["commerce.orders"] = pa.concat_tables(
        [order_versions, full["commerce.orders"].append_column(
            "_version_at", pa.array(np.full(full["commerce.orders"].num_rows, np.inf)))],
        promote_options="default")
    for name, table in full.items():
        output.write_snapshot(landing, name, output.snapshot_as_of(name, table, end_s))
        for d in range(end_day + 1, sim_end_day + 1):
            at = float((d + 1) * DAY_S) - 0.001
            output.write_snapshot(pending / text.day_label(d), name, output.snapshot_as_of(name, table, at))
    _log(progress, f"snapshots written ({time.monotonic() - clock:.0f}s)")

    dirty_rows = pd.concat(dirty_parts, ignore_index=True)
    now = consent_now(intervals, pop.n, end_s)
    erased = np.zeros(pop.n, dtype=bool)
    erased[erasures["_person"].to_numpy()] = True
    persons = persons_truth(pop, catalog, now, erased, n_sessions, n_orders, first_active)
    experiments = experiments_truth(exp_units, pop, orders, end_s)
    manifest = {
        "scale": cfg.name,
        "seed": seed,
        "start_date": cfg.start_date.isoformat(),
        "end_date": cfg.end_date.isoformat(),
        "holdback_days": holdback_days,
        "simulated_end_date": text.day_label(sim_end_day),
        "pending_dates": [text.day_label(d) for d in range(end_day + 1, sim_end_day + 1)],
        "n_persons": pop.n,
        "n_items": catalog.table.num_rows,
        "row_counts": output.count_rows(landing),
        "dirty_counts": dirty_counts(dirty_rows, cfg.end_date.isoformat()),
        "blocklisted_values": list(PLACEHOLDER_USER_IDS),
        "shared_emails": list(SHARED_EMAILS),
        "shared_anonymous_ids": sorted(set(pop.dev_anon[pop.dev_shared])),
        "currency_rates_to_usd": CURRENCY_RATES_TO_USD,
        "personas": list(PERSONAS),
        "implausible_birthdate_contact_ids": implausible_birthdates,
        # orders landed with an earlier version too: the latest (refunded) must win, the earlier is history
        "refunded_order_versions": sorted(order_versions["order_id"].to_pylist()),
        "experiments": [e.experiment_id for e in REGISTRY],
    }
    write_truth(truth, manifest=manifest, persons=persons, identifiers=identifiers, dirty_rows=dirty_rows,
                intervals=intervals, pop=pop, experiments=experiments, tickets=(tickets, ticket_person, ticket_tone))
    # Synthetic data: the only landing folder a build may pseudonymize with the public default salt.
    (landing / GENERATED_MARKER).write_text("written by tailor generate: synthetic data\n")
    (landing / "_SUCCESS").write_text("")
    _log(progress, f"done: {manifest['row_counts']['events.events']:,} events landed "
                   f"({time.monotonic() - clock:.0f}s)")
    return manifest


class _Serial:
    """Hands out consecutive numbers, so fresh keys of dirty rows never repeat."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, k: int) -> np.ndarray:
        numbers = np.arange(self.next, self.next + k)
        self.next += k
        return numbers


def _firsts(keys: np.ndarray) -> np.ndarray:
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _ever_granted(intervals: pa.Table, n: int, purpose: str) -> np.ndarray:
    flag = np.zeros(n, dtype=bool)
    hit = pc.and_(pc.equal(intervals["purpose"], purpose), intervals["is_granted"])
    flag[intervals.filter(hit)["person"].to_numpy()] = True
    return flag


def _first_items(orders: pa.Table, items: pa.Table, product_ids: np.ndarray) -> np.ndarray:
    """Catalog index of the first item of every order (orders without items fall back to item 0)."""
    position = {pid: i for i, pid in enumerate(product_ids)}
    first = items.select(["order_id", "product_id"]).to_pandas().drop_duplicates("order_id")
    lookup = dict(zip(first["order_id"], first["product_id"], strict=True))
    return np.array([position.get(lookup.get(o), 0) for o in orders["order_id"].to_pylist()], dtype=np.int64)


def _erasures(rng: np.random.Generator, pop: Population, identifiers: pd.DataFrame, start_s: float,
              end_s: float) -> pa.Table:
    """Erasure requests of ~1% of persons, by one identifier they are known by (emails as typed)."""
    known = identifiers[~identifiers["is_shared"]]
    earliest = start_s + 3 * DAY_S
    latest = end_s - DAY_S
    known = known[known["first_seen_s"] < latest]
    k = max(2, round(ERASURE_SHARE * pop.n))
    one_each = known.iloc[rng.permutation(len(known))].drop_duplicates("person_index")
    one_each = one_each.iloc[np.sort(rng.permutation(len(one_each))[:k])]
    low = np.maximum(earliest, one_each["first_seen_s"].to_numpy(dtype=float))
    requested_at = rng.uniform(low, latest)
    rows = list(zip(one_each["person_index"], one_each["identifier_type"], one_each["identifier_value"],
                    requested_at, strict=True))
    person = np.array([r[0] for r in rows], dtype=np.int64)
    kind = [r[1] for r in rows]
    value = np.array([r[2] for r in rows], dtype=object)
    is_email = np.array([k == "email" for k in kind])
    typed = text.email_variants(rng, pa.array(value, pa.string()), 0.5).to_numpy(zero_copy_only=False)
    value = np.where(is_email, typed, value)
    stamps = np.array([r[3] for r in rows])
    order = np.argsort(stamps)
    return pa.table({
        "request_id": text.numbered("ER-", 100_001 + np.arange(len(rows)), 6),
        "identifier_type": pa.array(np.array(kind, dtype=object)[order], pa.string()),
        "identifier_value": pa.array(value[order], pa.string()),
        "requested_at": text.iso(stamps[order]),
        "_person": person[order],
        "_visible_at": stamps[order],
    })
