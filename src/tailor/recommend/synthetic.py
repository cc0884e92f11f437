"""Synthetic inputs with known structure: a planted-affinity shop for tests and tuning, and power-law
interaction matrices for benchmarks. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Running", ("shoe", "sneaker", "sock", "insole", "trainer")),
    ("Kitchen", ("kettle", "pan", "knife", "blender", "skillet")),
    ("Gaming", ("controller", "console", "headset", "keyboard", "joystick")),
    ("Garden", ("hose", "rake", "planter", "shovel", "seed")),
    ("Books", ("novel", "thriller", "biography", "cookbook", "poetry")),
    ("Beauty", ("serum", "lipstick", "moisturizer", "mascara", "cleanser")),
    ("Outdoor", ("tent", "backpack", "lantern", "sleeping", "compass")),
    ("Toys", ("puzzle", "doll", "lego", "plush", "kite")),
    ("Audio", ("speaker", "earbuds", "amplifier", "turntable", "subwoofer")),
    ("Pets", ("leash", "collar", "kibble", "litter", "aquarium")),
)
ADJECTIVES: tuple[str, ...] = ("classic", "premium", "compact", "deluxe", "everyday", "pro", "eco", "smart")
EVENT_WEIGHTS: dict[str, float] = {"product_view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}
EVENT_SHARES: tuple[float, ...] = (0.75, 0.17, 0.08)


@dataclass(frozen=True)
class PlantedData:
    """Event-level interactions, catalog and persons of a shop where each person prefers 1-2 categories."""

    interactions: pd.DataFrame
    catalog: pd.DataFrame
    persons: pd.DataFrame
    favorite_categories: pd.DataFrame
    start_at: pd.Timestamp
    end_at: pd.Timestamp


def planted_dataset(
    n_persons: int = 1500,
    n_items: int = 300,
    n_categories: int = 6,
    events_per_person: float = 14.0,
    days: int = 60,
    affinity: float = 0.85,
    consent_rate: float = 0.9,
    segment_rate: float = 0.8,
    inactive_rate: float = 0.05,
    idle_rate: float = 0.03,
    seed: int = 0,
) -> PlantedData:
    """Category-affinity shop: persons draw ~`affinity` of events from their favourite categories.

    Items inside a category follow a Zipf popularity, so global popularity is a real but beatable
    baseline. `idle_rate` of persons have no events (pure fallback cases).
    """
    if not 1 <= n_categories <= len(CATEGORY_WORDS):
        raise ValueError(f"n_categories must be in 1..{len(CATEGORY_WORDS)}")
    rng = np.random.default_rng(seed)
    start_at = pd.Timestamp("2024-01-01", tz="UTC")
    end_at = start_at + pd.Timedelta(days=days)
    catalog, item_category, item_weight = _planted_catalog(rng, n_items, n_categories, inactive_rate)

    person_ids = np.array([f"P{index:06d}" for index in range(n_persons)], dtype=object)
    first = rng.integers(0, n_categories, n_persons)
    has_second = rng.random(n_persons) < 0.4
    second = (first + rng.integers(1, max(n_categories, 2), n_persons)) % n_categories
    second = np.where(has_second & (n_categories > 1), second, first)

    counts = rng.poisson(events_per_person - 1, n_persons) + 1
    counts[rng.random(n_persons) < idle_rate] = 0
    event_person = np.repeat(np.arange(n_persons), counts)
    n_events = event_person.size
    favorite = np.where(rng.random(n_events) < 0.5, first[event_person], second[event_person])
    event_category = np.where(rng.random(n_events) < affinity, favorite, rng.integers(0, n_categories, n_events))
    event_item = np.empty(n_events, dtype=np.int64)
    for category in range(n_categories):
        members = np.flatnonzero(item_category == category)
        events = np.flatnonzero(event_category == category)
        probabilities = item_weight[members] / item_weight[members].sum()
        event_item[events] = rng.choice(members, size=events.size, p=probabilities)
    event_type = rng.choice(np.array(list(EVENT_WEIGHTS), dtype=object), size=n_events, p=EVENT_SHARES)
    event_at = start_at + pd.to_timedelta(rng.random(n_events) * days * 86_400, unit="s")
    is_purchase = event_type == "purchase"
    interactions = pd.DataFrame(
        {
            "person_id": pd.array(person_ids[event_person], dtype="str"),
            "item_id": pd.array(catalog["item_id"].to_numpy(dtype=object)[event_item], dtype="str"),
            "event_type": pd.array(event_type, dtype="str"),
            "weight": np.array([EVENT_WEIGHTS[name] for name in event_type], dtype=np.float64),
            "last_interaction_at": event_at,
            "has_purchased": is_purchase,
            "last_purchased_at": pd.Series(event_at).where(is_purchase),
        }
    ).sort_values(["last_interaction_at", "person_id"], kind="stable", ignore_index=True)

    names = np.array([name.lower() for name, _ in CATEGORY_WORDS[:n_categories]], dtype=object)
    has_segment = rng.random(n_persons) < segment_rate
    persons = pd.DataFrame(
        {
            "person_id": pd.array(person_ids, dtype="str"),
            "segment_id": pd.array(np.where(has_segment, "seg_" + names[first], None), dtype="str"),
            "has_personalization_consent": rng.random(n_persons) < consent_rate,
        }
    )
    favorites = pd.DataFrame(
        {
            "person_id": pd.array(person_ids, dtype="str"),
            "first_category": pd.array(names[first], dtype="str"),
            "second_category": pd.array(names[second], dtype="str"),
        }
    )
    return PlantedData(interactions, catalog, persons, favorites, start_at, end_at)


def synthetic_catalog(n_items: int, n_categories: int = 10, inactive_rate: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """A catalog frame (item_id, title, description, category, brand, tags, price, is_active)."""
    return _planted_catalog(
        np.random.default_rng(seed), n_items, min(n_categories, len(CATEGORY_WORDS)), inactive_rate
    )[0]


def frames_from_matrix(
    matrix: sp.csr_matrix, *, consent_rate: float = 0.9, n_segments: int = 8, purchase_rate: float = 0.05, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(interactions, catalog, persons) frames around a users x items matrix, for end-to-end benchmarks."""
    rng = np.random.default_rng(seed)
    n_users, n_items = matrix.shape
    coo = matrix.tocoo()
    person_ids = np.array([f"P{index:07d}" for index in range(n_users)], dtype=object)
    catalog = synthetic_catalog(n_items, seed=seed)
    at = pd.Timestamp("2024-03-01", tz="UTC") - pd.to_timedelta(rng.random(coo.nnz) * 90 * 86_400, unit="s")
    purchased = rng.random(coo.nnz) < purchase_rate
    interactions = pd.DataFrame(
        {
            "person_id": pd.array(person_ids[coo.row], dtype="str"),
            "item_id": catalog["item_id"].array.take(coo.col),
            "weight": coo.data.astype(np.float64),
            "last_interaction_at": at,
            "has_purchased": purchased,
            "last_purchased_at": pd.Series(at).where(purchased),
        }
    )
    segment = rng.integers(0, n_segments, n_users).astype(str)
    persons = pd.DataFrame(
        {
            "person_id": pd.array(person_ids, dtype="str"),
            "segment_id": pd.array(
                np.where(rng.random(n_users) < 0.8, np.char.add("seg_", segment), None), dtype="str"
            ),
            "has_personalization_consent": rng.random(n_users) < consent_rate,
        }
    )
    return interactions, catalog, persons


def _planted_catalog(
    rng: np.random.Generator, n_items: int, n_categories: int, inactive_rate: float
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    item_category = np.arange(n_items) % n_categories
    rng.shuffle(item_category)
    item_weight = 1.0 / (1.0 + rng.permutation(n_items)) ** 0.9
    titles, descriptions, brands, tags, categories = [], [], [], [], []
    for category in item_category:
        name, nouns = CATEGORY_WORDS[category]
        noun, other = rng.choice(len(nouns), size=2, replace=False)
        adjective = ADJECTIVES[rng.integers(len(ADJECTIVES))]
        titles.append(f"{adjective.title()} {nouns[noun]}")
        descriptions.append(f"A {adjective} {nouns[noun]} that pairs well with any {nouns[other]}.")
        brands.append(f"{name}Co {rng.integers(1, 4)}")
        tags.append([name.lower(), nouns[noun], adjective])
        categories.append(f"Shop > {name}")
    catalog = pd.DataFrame(
        {
            "item_id": pd.array([f"I{index:05d}" for index in range(n_items)], dtype="str"),
            "title": pd.array(titles, dtype="str"),
            "description": pd.array(descriptions, dtype="str"),
            "category": pd.array(categories, dtype="str"),
            "brand": pd.array(brands, dtype="str"),
            "tags": tags,
            "price": np.round(rng.gamma(2.0, 20.0, n_items), 2),
            "is_active": rng.random(n_items) >= inactive_rate,
        }
    )
    return catalog, item_category, item_weight


def power_law_matrix(
    n_users: int,
    n_items: int,
    nnz: int,
    *,
    item_exponent: float = 0.9,
    user_sigma: float = 1.0,
    seed: int = 0,
) -> sp.csr_matrix:
    """Users x items float32 weights with about `nnz` nonzeros: Zipf item popularity, log-normal activity.

    Repeated (user, item) draws add up, like repeated events; values are small positive counts.
    """
    rng = np.random.default_rng(seed)
    item_p = 1.0 / (1.0 + np.arange(n_items)) ** item_exponent
    item_p = item_p[rng.permutation(n_items)]
    item_cdf = np.cumsum(item_p / item_p.sum())
    user_p = rng.lognormal(0.0, user_sigma, n_users)
    user_cdf = np.cumsum(user_p / user_p.sum())
    keys = np.zeros(0, dtype=np.int64)
    draws = nnz
    for _ in range(8):
        users = np.minimum(np.searchsorted(user_cdf, rng.random(draws)), n_users - 1)
        items = np.minimum(np.searchsorted(item_cdf, rng.random(draws)), n_items - 1)
        keys = np.sort(np.concatenate([keys, users.astype(np.int64) * n_items + items]))
        unique = int(np.count_nonzero(np.diff(keys))) + 1
        if unique >= 0.99 * nnz:
            break
        draws = int((nnz - unique) * keys.size / max(unique, 1)) + 1
    # sort-based unique with counts: np.unique is far slower on tens of millions of int64 keys
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    counts = np.diff(np.append(starts, keys.size))
    unique_keys = keys[starts]
    if unique_keys.size > nnz:
        keep = np.sort(rng.permutation(unique_keys.size)[:nnz])
        unique_keys, counts = unique_keys[keep], counts[keep]
    matrix = sp.csr_matrix(
        (counts.astype(np.float32), (unique_keys // n_items, unique_keys % n_items)), shape=(n_users, n_items)
    )
    matrix.sort_indices()
    return matrix
