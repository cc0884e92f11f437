"""The simulated world and the named records the activity simulation hands between its steps."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailor.generator import text
from tailor.generator.catalog import Catalog, ItemSampler
from tailor.generator.config import ScaleConfig
from tailor.generator.experiments import Assignment
from tailor.generator.population import Population
from tailor.landing import EVENT_TYPES

ET = {name: code for code, name in enumerate(EVENT_TYPES)}
# product_view "source" property; the last one marks the view that follows a recommendation click.
SOURCES: tuple[str, ...] = ("category", "search", "direct", "recommendation")
FROM_RECOMMENDATION = SOURCES.index("recommendation")


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


def group_first(keys: np.ndarray) -> np.ndarray:
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def group_rank(keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal keys."""
    n = len(keys_sorted)
    start = np.where(group_first(keys_sorted), np.arange(n), 0)
    return np.arange(n) - np.maximum.accumulate(start) if n else np.zeros(0, dtype=np.int64)
