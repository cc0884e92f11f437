"""The product catalog and the item sampler that turns person affinities into item picks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tailor.generator import text
from tailor.generator.config import DAY_S, ScaleConfig
from tailor.generator.vocab import BRAND_SYLLABLES_A, BRAND_SYLLABLES_B, CATEGORIES

MODEL_SUFFIXES = ("", "", "", " Pro", " Mini", " 2", " Plus", " Lite", " Max", " XL")
BRAND_SUFFIXES = ("", " Labs", " Works", " Studio", " Goods", " & Co")


@dataclass(frozen=True)
class Catalog:
    product_id: np.ndarray  # object array of str
    category: np.ndarray  # int index into category_names
    brand: np.ndarray  # int index into brand_names
    price: np.ndarray  # USD list price
    is_active: np.ndarray
    on_sale: np.ndarray
    popularity: np.ndarray  # Zipf weight within its category
    title: np.ndarray
    noun: np.ndarray
    category_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    brand_category: np.ndarray  # category index of each brand
    table: pa.Table  # landing rows (clean)
    unused_ids: np.ndarray  # product ids guaranteed absent from the catalog (for orphan rows)


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    combos = [a + b + s for s in BRAND_SUFFIXES for a in BRAND_SYLLABLES_A for b in BRAND_SYLLABLES_B]
    base = len(BRAND_SYLLABLES_A) * len(BRAND_SYLLABLES_B)
    order = np.concatenate([rng.permutation(base) + k * base for k in range(len(BRAND_SUFFIXES))])
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} brands")
    return [combos[i] for i in order[:n]]


def build_catalog(rng: np.random.Generator, cfg: ScaleConfig, start_s: int) -> Catalog:
    """Products with category/brand vocabularies, log-normal prices and Zipf popularity."""
    names = tuple(list(CATEGORIES)[: cfg.n_categories])
    n_cat, n = len(names), cfg.n_items
    cat_weight = rng.dirichlet(np.full(n_cat, 4.0))
    category = np.concatenate([np.repeat(np.arange(n_cat), 3), rng.choice(n_cat, n - 3 * n_cat, p=cat_weight)])
    category = rng.permutation(category)
    n_brands = n_cat * cfg.brands_per_category
    brand_names = tuple(_brand_names(rng, n_brands))
    brand_category = np.repeat(np.arange(n_cat), cfg.brands_per_category)
    brand_rank_weight = 1.0 / np.arange(1, cfg.brands_per_category + 1) ** 0.8
    brand_rank_weight /= brand_rank_weight.sum()
    brand = category * cfg.brands_per_category + rng.choice(cfg.brands_per_category, n, p=brand_rank_weight)
    brand_factor = np.exp(rng.normal(0.0, 0.35, n_brands))
    median = np.array([CATEGORIES[c][0] for c in names])
    price = median[category] * brand_factor[brand] * np.exp(rng.normal(0.0, 0.5, n))
    price = np.maximum(np.floor(price) + np.where(rng.random(n) < 0.7, 0.99, 0.49), 0.99)
    is_active = rng.random(n) >= 0.05
    on_sale = rng.random(n) < 0.2
    popularity = np.zeros(n)
    for c in range(n_cat):
        members = np.flatnonzero(category == c)
        popularity[members] = 1.0 / (rng.permutation(len(members)) + 1.0) ** 1.1
    numbers = rng.choice(900_000, size=n + 2_000, replace=False) + 100_000
    product_id = np.array([f"SKU-{k}" for k in numbers[:n]], dtype=object)
    unused_ids = np.array([f"SKU-{k}" for k in numbers[n:]], dtype=object)

    titles, nouns, descriptions, tags = [], [], [], []
    adj_pick = rng.integers(0, 1 << 30, size=(n, 3))
    for i in range(n):
        cname = names[category[i]]
        _, cat_nouns, adjs, cat_tags = CATEGORIES[cname]
        noun = cat_nouns[adj_pick[i, 0] % len(cat_nouns)]
        adj = adjs[adj_pick[i, 1] % len(adjs)]
        adj2 = adjs[(adj_pick[i, 1] + 1 + adj_pick[i, 2] % (len(adjs) - 1)) % len(adjs)]
        suffix = MODEL_SUFFIXES[adj_pick[i, 2] % len(MODEL_SUFFIXES)]
        bname = brand_names[brand[i]]
        title = f"{bname} {adj.capitalize()} {noun.title()}{suffix}"
        titles.append(title)
        nouns.append(noun)
        descriptions.append(
            f"The {adj} {noun} by {bname}: {adj2} design for everyday {cat_tags[0]}. "
            f"A {cname.replace('_', ' ')} favourite with {cat_tags[adj_pick[i, 0] % len(cat_tags)]} appeal."
        )
        item_tags = [cat_tags[adj_pick[i, 2] % len(cat_tags)], adj, cname]
        if on_sale[i]:
            item_tags.append("sale")
        tags.append("|".join(dict.fromkeys(item_tags)))

    created = start_s - rng.uniform(30, 700, n) * DAY_S
    updated = created + rng.uniform(0.0, 1.0, n) * (start_s - DAY_S - created)
    table = pa.table(
        {
            "product_id": pa.array(product_id, pa.string()),
            "title": pa.array(titles, pa.string()),
            "description": pa.array(descriptions, pa.string()),
            "category": pa.array(np.array(names, dtype=object)[category], pa.string()),
            "brand": pa.array(np.array(brand_names, dtype=object)[brand], pa.string()),
            "price": pa.array(price, pa.float64()),
            "currency": pa.array(["USD"] * n, pa.string()),
            "tags": pa.array(tags, pa.string()),
            "is_active": pa.array(is_active, pa.bool_()),
            "created_at": text.iso(created),
            "updated_at": text.iso(np.maximum(updated, created)),
        }
    )
    return Catalog(
        product_id=product_id, category=category, brand=brand, price=price, is_active=is_active,
        on_sale=on_sale, popularity=popularity, title=np.array(titles, dtype=object),
        noun=np.array(nouns, dtype=object), category_names=names, brand_names=brand_names,
        brand_category=brand_category, table=table, unused_ids=unused_ids,
    )


MODES = 3  # popular, cheap, premium


class ItemSampler:
    """Samples items per (category, mode) or per brand in one vectorized searchsorted call.

    Segment s covers the cumulative range (s, s+1]; an item pick is searchsorted(cum, s + u)."""

    def __init__(self, catalog: Catalog) -> None:
        n_cat = len(catalog.category_names)
        median = np.array([np.median(catalog.price[catalog.category == c]) for c in range(n_cat)])
        rel = catalog.price / median[catalog.category]
        base = catalog.popularity * catalog.is_active
        weights = (
            base,
            base * rel ** -2.0 * np.where(catalog.on_sale, 2.0, 1.0),
            base * rel ** 1.5,
        )
        cums, items = [], []
        for mode in range(MODES):
            for c in range(n_cat):
                self._add(cums, items, mode * n_cat + c, np.flatnonzero(catalog.category == c), weights[mode])
        for b in range(len(catalog.brand_names)):
            members = np.flatnonzero(catalog.brand == b)
            if members.size == 0 or base[members].sum() == 0:
                members = np.flatnonzero(catalog.category == catalog.brand_category[b])
            self._add(cums, items, MODES * n_cat + b, members, base)
        self.cum = np.concatenate(cums)
        self.items = np.concatenate(items)
        self.n_cat = n_cat

    @staticmethod
    def _add(cums: list, items: list, segment: int, members: np.ndarray, weights: np.ndarray) -> None:
        w = weights[members]
        if w.sum() <= 0:
            w = np.ones(len(members))
        cums.append(segment + np.cumsum(w) / w.sum())
        items.append(members)

    def sample(self, rng: np.random.Generator, category: np.ndarray, mode: np.ndarray,
               brand: np.ndarray) -> np.ndarray:
        """Item indices; rows with brand >= 0 pick within that brand, the others within (category, mode)."""
        segment = np.where(brand >= 0, MODES * self.n_cat + brand, mode * self.n_cat + category)
        u = rng.uniform(1e-9, 1.0 - 1e-9, len(segment))
        pos = np.searchsorted(self.cum, segment + u, side="right")
        return self.items[np.minimum(pos, len(self.items) - 1)]
