"""Synthetic profile snapshots with planted personas, for segmentation tests and benchmarks.

Shapes mimic the profile mart (nulls for non-buyers, `*_is_imputed` flags, low-confidence and brand-new
persons) so the whole run is exercised; the planted persona per person is returned as ground truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tailor.segments.config import NumericFeature, SegmentConfig

# The segmentation the planted personas were designed against (the first release's parameters): every
# persona column, half-weight demographics and taste, no facets, the finest tied k. Tests of what the
# pipeline recovers from the personas run with it; the project's own defaults are SegmentConfig's.
PERSONA_NUMERIC_FEATURES: tuple[NumericFeature, ...] = (
    NumericFeature("recency_days", log1p=True),
    NumericFeature("frequency_orders", log1p=True),
    NumericFeature("monetary_usd", log1p=True),
    NumericFeature("avg_order_value_usd", log1p=True),
    NumericFeature("discount_share"),
    NumericFeature("sessions_30d", log1p=True),
    NumericFeature("sessions_90d", log1p=True),
    NumericFeature("active_days_30d", log1p=True),
    NumericFeature("active_days_90d", log1p=True),
    NumericFeature("avg_session_duration_s", log1p=True),
    NumericFeature("events_per_session", log1p=True),
    NumericFeature("avg_scroll_percent"),
    NumericFeature("video_seconds_90d", log1p=True),
    NumericFeature("feature_uses_90d", log1p=True),
    NumericFeature("cart_abandon_rate"),
    NumericFeature("price_sensitivity"),
    NumericFeature("support_tickets", log1p=True),
    NumericFeature("avg_sentiment"),
    NumericFeature("days_since_first_seen", log1p=True),
)
PERSONA_CONFIG = SegmentConfig(
    numeric_features=PERSONA_NUMERIC_FEATURES,
    categorical_weight=0.5,
    embedding_weight=0.5,
    feature_groups=(),
    dedupe_indicators=False,
    silhouette_tolerance=0.0,
    min_stability=0.0,
    fit_threads=1,
    min_tenure_days=7.0,
)

PERSONAS: tuple[str, ...] = (
    "loyal_high_value",
    "engaged_browser",
    "bargain_hunter",
    "new_visitor",
    "lapsing_customer",
    "content_video_heavy",
)

# persona -> (tenure days range, orders (poisson mean, floor), order value median, sessions_90d mean,
#             share of 90d sessions in last 30d, session seconds median, events/session median)
_SHAPE: dict[str, tuple[tuple[int, int], tuple[float, int], float, float, float, float, float]] = {
    "loyal_high_value": ((200, 1500), (9.0, 3), 150.0, 25.0, 0.35, 300.0, 10.0),
    "engaged_browser": ((60, 900), (0.3, 0), 60.0, 45.0, 0.35, 420.0, 18.0),
    "bargain_hunter": ((90, 1000), (4.0, 1), 35.0, 12.0, 0.35, 250.0, 10.0),
    "new_visitor": ((8, 35), (0.1, 0), 50.0, 3.0, 0.90, 120.0, 5.0),
    "lapsing_customer": ((200, 1500), (3.0, 1), 70.0, 1.0, 0.05, 150.0, 5.0),
    "content_video_heavy": ((60, 900), (0.4, 0), 50.0, 30.0, 0.35, 900.0, 8.0),
}
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "CA", "AU", "SE")
_AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_CATEGORIES = tuple(f"cat_{i:02d}" for i in range(20))


@dataclass(frozen=True)
class SyntheticSegments:
    """Profiles (one row per person), person x category interactions, and the planted persona per person."""

    profiles: pd.DataFrame
    interactions: pd.DataFrame
    personas: pd.Series


def _beta(rng: np.random.Generator, a: float, b: float, n: int) -> np.ndarray:
    return rng.beta(a, b, size=n)


def _persona_block(persona: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    (t_lo, t_hi), (orders_mean, orders_floor), aov, sessions, recent_share, duration, events = _SHAPE[persona]
    tenure = rng.uniform(t_lo, t_hi, n)
    orders = rng.poisson(orders_mean, n) + orders_floor
    buyer = orders > 0
    order_value = np.where(buyer, rng.lognormal(np.log(aov), 0.35, n), np.nan)
    monetary = np.where(buyer, orders * order_value * rng.lognormal(0.0, 0.15, n), 0.0)
    if persona == "loyal_high_value":
        recency = rng.exponential(12.0, n)
    elif persona == "lapsing_customer":
        recency = rng.uniform(150.0, 400.0, n)
    elif persona == "bargain_hunter":
        recency = rng.exponential(30.0, n)
    else:
        recency = rng.uniform(5.0, 90.0, n)
    recency = np.where(buyer, np.minimum(recency, tenure), np.nan)
    discount = {"loyal_high_value": (2, 12), "bargain_hunter": (9, 3)}.get(persona, (2, 8))
    price = {"loyal_high_value": (2, 8), "bargain_hunter": (8, 3)}.get(persona, (3, 5))
    sessions_90d = rng.poisson(sessions, n) + (1 if persona == "new_visitor" else 0)
    sessions_30d = rng.binomial(sessions_90d, recent_share)
    has_sessions = sessions_90d > 0
    if persona == "content_video_heavy":
        video = rng.lognormal(np.log(6000.0), 0.6, n)
    else:
        video = np.where(rng.random(n) < 0.2, rng.lognormal(np.log(200.0), 1.0, n), 0.0)
    scroll = {"engaged_browser": (7, 3), "content_video_heavy": (6, 4)}.get(persona, (4, 5))
    abandon = {"engaged_browser": (7, 3), "bargain_hunter": (5, 5), "loyal_high_value": (2, 8)}.get(
        persona, (4, 6)
    )
    feature_rate = {"engaged_browser": 0.8, "loyal_high_value": 0.5}.get(persona, 0.2)
    tickets = rng.poisson(0.6 if persona == "loyal_high_value" else 0.3, n)
    if persona == "loyal_high_value":
        tiers = rng.choice(np.array(["gold", "platinum"], dtype=object), n)
    elif persona == "lapsing_customer":
        tiers = rng.choice(np.array(["silver", "bronze"], dtype=object), n)
    else:
        tiers = rng.choice(np.array(["bronze", None], dtype=object), n)
    return {
        "recency_days": np.round(recency),
        "frequency_orders": orders.astype(float),
        "monetary_usd": np.round(monetary, 2),
        "avg_order_value_usd": np.round(order_value, 2),
        "discount_share": np.where(buyer, _beta(rng, *discount, n), np.nan),
        "sessions_30d": sessions_30d.astype(float),
        "sessions_90d": sessions_90d.astype(float),
        "active_days_30d": np.round(sessions_30d * rng.uniform(0.5, 0.9, n)),
        "active_days_90d": np.round(sessions_90d * rng.uniform(0.5, 0.9, n)),
        "avg_session_duration_s": np.where(has_sessions, rng.lognormal(np.log(duration), 0.4, n), np.nan),
        "events_per_session": np.where(has_sessions, rng.lognormal(np.log(events), 0.3, n), np.nan),
        "avg_scroll_percent": np.where(has_sessions, 100 * _beta(rng, *scroll, n), np.nan),
        "video_seconds_90d": np.round(video),
        "feature_uses_90d": rng.poisson(sessions_90d * feature_rate).astype(float),
        "cart_abandon_rate": np.where(has_sessions, _beta(rng, *abandon, n), np.nan),
        "price_sensitivity": _beta(rng, *price, n),
        "support_tickets": tickets.astype(float),
        "avg_sentiment": np.where(tickets > 0, np.clip(rng.normal(0.2, 0.3, n), -1, 1), np.nan),
        "days_since_first_seen": np.round(tenure),
        "loyalty_tier": tiers,
    }


def _interactions(person_ids: np.ndarray, personas: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Taste groups independent of persona (so the embedding must not drown the behaviour) plus a mild
    persona tilt: video fans lean to the first categories."""
    n = len(person_ids)
    taste_group = rng.integers(0, 4, n)
    counts = rng.integers(1, 7, n)
    rows_person = np.repeat(np.arange(n), counts)
    preferred = rng.random(len(rows_person)) < 0.7
    in_group = taste_group[rows_person] * 5 + rng.integers(0, 5, len(rows_person))
    anywhere = rng.integers(0, len(_CATEGORIES), len(rows_person))
    category = np.where(preferred, in_group, anywhere)
    video_fan = personas[rows_person] == "content_video_heavy"
    tilted = video_fan & (rng.random(len(rows_person)) < 0.3)
    category = np.where(tilted, rng.integers(0, 2, len(rows_person)), category)
    frame = pd.DataFrame(
        {
            "person_id": person_ids[rows_person],
            "category": np.array(_CATEGORIES, dtype=object)[category],
            "weight": np.round(rng.gamma(2.0, 2.0, len(rows_person)), 3),
        }
    )
    return frame.groupby(["person_id", "category"], as_index=False)["weight"].sum()


def make_persona_profiles(
    n_persons: int,
    seed: int = 0,
    persona_weights: Mapping[str, float] | None = None,
    id_prefix: str = "P",
    brand_new_share: float = 0.02,
    low_confidence_share: float = 0.03,
    imputed_share: float = 0.01,
) -> SyntheticSegments:
    """`n_persons` synthetic profiles drawn from the six personas (equal weights unless given)."""
    rng = np.random.default_rng(seed)
    weights = np.array([float((persona_weights or {}).get(p, 1.0)) for p in PERSONAS])
    personas = rng.choice(np.array(PERSONAS, dtype=object), size=n_persons, p=weights / weights.sum())
    columns: dict[str, np.ndarray] = {}
    for persona in PERSONAS:
        rows = np.flatnonzero(personas == persona)
        for name, values in _persona_block(persona, len(rows), rng).items():
            if name not in columns:
                columns[name] = np.empty(n_persons, dtype=values.dtype)
            columns[name][rows] = values
    person_ids = np.array([f"{id_prefix}{i:07d}" for i in range(n_persons)], dtype=object)
    profiles = pd.DataFrame({"person_id": person_ids, **columns})
    brand_new = rng.random(n_persons) < brand_new_share
    profiles.loc[brand_new, "days_since_first_seen"] = rng.integers(0, 7, int(brand_new.sum()))
    profiles["age_band"] = rng.choice(np.array([*_AGE_BANDS, None], dtype=object), n_persons)
    profiles["country_code"] = rng.choice(np.array(_COUNTRIES, dtype=object), n_persons)
    profiles["profile_confidence"] = np.round(_beta(rng, 8, 2, n_persons), 3)
    low = rng.random(n_persons) < low_confidence_share
    profiles.loc[low, "profile_confidence"] = np.round(rng.uniform(0.05, 0.3, int(low.sum())), 3)
    profiles["is_low_confidence"] = low
    for name in ("monetary_usd", "avg_sentiment", "avg_scroll_percent"):
        flagged = rng.random(n_persons) < imputed_share
        profiles[f"{name}_is_imputed"] = flagged
        profiles.loc[flagged, name] = profiles[name].median()
    interactions = _interactions(person_ids, personas, rng)
    return SyntheticSegments(profiles, interactions, pd.Series(personas, index=person_ids, name="persona"))
