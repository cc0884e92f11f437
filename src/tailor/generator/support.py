"""Support tickets keyed by email: tone follows the customer's experience and names catalog products."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tailor.generator import text
from tailor.generator.catalog import Catalog
from tailor.generator.config import DAY_S, LOYAL
from tailor.generator.population import Population
from tailor.generator.vocab import (
    COUNTRIES,
    NEGATIVE_BODIES,
    NEGATIVE_SUBJECTS,
    NEUTRAL_BODIES,
    NEUTRAL_SUBJECTS,
    POSITIVE_BODIES,
    POSITIVE_SUBJECTS,
    TICKET_CHANNELS,
)

TONES = ("negative", "positive", "neutral")


def tickets(rng: np.random.Generator, pop: Population, catalog: Catalog, orders: pa.Table,
            first_item: np.ndarray, sim_end_s: float) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Tickets about orders: complaints after refunds/cancellations, praise from loyal buyers, questions.

    first_item: catalog index of each order's first item. Returns (tickets with hidden columns,
    person per ticket, tone per ticket)."""
    person = orders["_person"].to_numpy()
    kind = orders["_final_kind"].to_numpy()
    t_final = orders["_t_final"].to_numpy()
    t_deliver = orders["_t_deliver"].to_numpy()
    created = orders["_visible_at"].to_numpy()
    n = len(person)
    u = rng.random(n)
    negative = (kind > 0) & (u < 0.6)
    positive = (kind == 0) & (pop.persona[person] == LOYAL) & (u < 0.12)
    neutral = ~negative & ~positive & (u > 0.96)
    tone = np.where(negative, 0, np.where(positive, 1, 2))
    at = np.where(negative, t_final + rng.uniform(0.1, 3.0, n) * DAY_S,
                  np.where(positive, t_deliver + rng.uniform(0.5, 5.0, n) * DAY_S,
                           created + rng.uniform(0.05, 2.0, n) * DAY_S))
    chosen = np.flatnonzero((negative | positive | neutral) & (at <= sim_end_s))
    chosen = chosen[np.argsort(at[chosen], kind="stable")]
    m = len(chosen)
    subjects, bodies = [], []
    picks = rng.integers(0, 1 << 20, (m, 2))
    for j, i in enumerate(chosen):
        item = first_item[i]
        p = person[i]
        fields = {
            "title": catalog.title[item], "brand": catalog.brand_names[catalog.brand[item]],
            "noun": catalog.noun[item], "email": pop.email[p],
            "phone": f"{COUNTRIES[pop.country[p]][4]} {100_000_000 + picks[j, 1] % 899_999_999}",
        }
        subject_pool, body_pool = ((NEGATIVE_SUBJECTS, NEGATIVE_BODIES), (POSITIVE_SUBJECTS, POSITIVE_BODIES),
                                   (NEUTRAL_SUBJECTS, NEUTRAL_BODIES))[tone[i]]
        subjects.append(subject_pool[picks[j, 0] % len(subject_pool)])
        bodies.append(body_pool[picks[j, 1] % len(body_pool)].format(**fields))
    table = pa.table({
        "ticket_id": text.numbered("T", 10_000_001 + np.arange(m), 8),
        "customer_email": text.email_variants(rng, pa.array(pop.data_email[person[chosen]], pa.string()), 0.3),
        "channel": pa.array(text.pick(rng, TICKET_CHANNELS, m, p=(0.6, 0.3, 0.1)), pa.string()),
        "created_at": text.iso(at[chosen]),
        "subject": pa.array(subjects, pa.string()),
        "body": pa.array(bodies, pa.string()),
        "_person": person[chosen],
        "_visible_at": at[chosen],
    })
    return table, person[chosen], np.array(TONES, dtype=object)[tone[chosen]]
