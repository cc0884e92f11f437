"""Persons: personas, identities (devices, user ids, emails), favorites and the over-merge traps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailor.generator import text
from tailor.generator.config import (
    BROWSE_MIX,
    BROWSE_TYPES,
    CRM_ONLY_SHARE,
    EVENTS_PER_SESSION,
    HAS_ACCOUNT,
    LAPSING,
    NEW,
    PERSONA_SHARE,
    PLACEHOLDER_USER_IDS,
    PURCHASE_PER_SESSION,
    REC_CTR,
    SESSIONS_PER_90D,
    SHARED_EMAILS,
    ScaleConfig,
)
from tailor.generator.vocab import COUNTRIES, FIRST_NAMES, LAST_NAMES, USER_AGENTS

DEVICE_TYPES = ("desktop", "mobile", "tablet")
_FOLD = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "é": "e"})


@dataclass(frozen=True)
class Population:
    n: int
    person_key: np.ndarray  # object str
    persona: np.ndarray
    has_activity: np.ndarray
    has_account: np.ndarray
    user_id: np.ndarray  # object str or None
    email: np.ndarray  # canonical lower-case email
    data_email: np.ndarray  # the email the person's rows carry (a shared one for the trap persons)
    first_name: np.ndarray
    last_name: np.ndarray
    country: np.ndarray  # ISO-2
    fav_categories: np.ndarray  # (n, 3) category index, -1 padded
    fav_brands: np.ndarray  # (n, 3) brand index aligned with fav_categories, -1 padded
    n_fav: np.ndarray
    active_from_day: np.ndarray  # day offset from the period start
    active_to_day: np.ndarray
    session_rate: np.ndarray  # expected sessions over the active window
    placeholder: np.ndarray  # index into PLACEHOLDER_USER_IDS, -1 if none
    dev_offset: np.ndarray  # first device slot of each person
    n_dev: np.ndarray
    dev_person: np.ndarray  # per device slot
    dev_anon: np.ndarray  # object str: the anonymous_id (shared slots repeat another person's)
    dev_type: np.ndarray  # index into DEVICE_TYPES
    dev_ua: np.ndarray  # object str
    dev_skew_s: np.ndarray  # client clock skew
    dev_shared: np.ndarray  # slot borrowed from another person (a shared device)


def _favorites(rng: np.random.Generator, n: int, n_cat: int, cat_weight: np.ndarray) -> tuple[np.ndarray, ...]:
    n_fav = rng.choice([1, 2, 3], size=n, p=[0.35, 0.40, 0.25])
    keys = np.log(cat_weight)[None, :] - np.log(-np.log(rng.random((n, n_cat))))  # Gumbel top-k
    top = np.argsort(-keys, axis=1)[:, :3]
    top = np.where(np.arange(3)[None, :] < n_fav[:, None], top, -1)
    return top, n_fav


def build_population(rng: np.random.Generator, cfg: ScaleConfig, n_cat: int, brands_per_category: int,
                     sim_days: int) -> Population:
    """Draws every person-level attribute up front; activity is simulated later, chunk by chunk."""
    n = cfg.n_persons
    persona = rng.choice(len(PERSONA_SHARE), size=n, p=PERSONA_SHARE)
    has_activity = rng.random(n) >= CRM_ONLY_SHARE
    has_account = has_activity & (rng.random(n) < HAS_ACCOUNT[persona])
    user_numbers = rng.choice(8_999_999, size=n, replace=False) + 1_000_000
    user_id = np.where(has_account, np.array([f"U{k}" for k in user_numbers], dtype=object), None)

    codes = list(COUNTRIES)
    country_idx = rng.choice(len(codes), size=n, p=np.array([COUNTRIES[c][0] for c in codes]) /
                             sum(COUNTRIES[c][0] for c in codes))
    country = np.array(codes, dtype=object)[country_idx]
    first_idx = rng.integers(0, len(FIRST_NAMES), n)
    last_idx = rng.integers(0, len(LAST_NAMES), n)
    first_name = np.array(FIRST_NAMES, dtype=object)[first_idx]
    last_name = np.array(LAST_NAMES, dtype=object)[last_idx]
    domain_pick = rng.integers(0, 1 << 20, n)
    email = np.empty(n, dtype=object)
    for i in range(n):
        domains = COUNTRIES[country[i]][5]
        suffix = (i * 7919 + 13) % 1_000_003
        local = f"{first_name[i]}.{last_name[i]}{suffix}".lower().translate(_FOLD)
        email[i] = f"{local}@{domains[domain_pick[i] % len(domains)]}"

    # Trap: a few account holders check out and sign up with a shared test address.
    data_email = email.copy()
    holders = np.flatnonzero(has_account)
    n_shared = min(len(holders), max(4, round(0.004 * n)))
    shared_people = rng.choice(holders, size=n_shared, replace=False)
    data_email[shared_people] = np.array(SHARED_EMAILS, dtype=object)[np.arange(n_shared) % len(SHARED_EMAILS)]

    cat_weight = rng.dirichlet(np.full(n_cat, 3.0)) + 0.01
    fav_categories, n_fav = _favorites(rng, n, n_cat, cat_weight / cat_weight.sum())
    brand_rank = rng.choice(brands_per_category, size=(n, 3), p=_rank_weights(brands_per_category))
    fav_brands = np.where(fav_categories >= 0, fav_categories * brands_per_category + brand_rank, -1)

    days = cfg.days
    active_from = np.zeros(n, dtype=np.int64)
    active_to = np.full(n, sim_days - 1, dtype=np.int64)
    is_new = persona == NEW
    active_from[is_new] = rng.integers(int(days * 0.72), sim_days, is_new.sum())
    is_lapsing = persona == LAPSING
    active_to[is_lapsing] = (rng.uniform(0.45, 0.62, is_lapsing.sum()) * days).astype(np.int64)
    late_start = (~is_new) & (rng.random(n) < 0.10)
    active_from[late_start] = (rng.uniform(0.0, 0.5, late_start.sum()) * active_to[late_start]).astype(np.int64)

    window = (active_to - active_from + 1).astype(float)
    multiplier = np.exp(rng.normal(-0.125, 0.5, n))
    session_rate = np.where(is_new, SESSIONS_PER_90D[persona], SESSIONS_PER_90D[persona] * window / 90.0)
    session_rate = session_rate * multiplier * has_activity
    per_session = _events_per_session(persona, has_account)
    target = cfg.events_per_person_day * days * n
    session_rate *= target / max((session_rate * per_session).sum() * days / sim_days, 1.0)
    session_rate = np.where(is_new, np.minimum(session_rate, 6.0), session_rate)

    anonymous_only = np.flatnonzero(has_activity & ~has_account)
    placeholder = np.full(n, -1, dtype=np.int64)
    n_placeholder = min(len(anonymous_only), max(len(PLACEHOLDER_USER_IDS), round(0.05 * len(anonymous_only))))
    chosen = rng.choice(anonymous_only, size=n_placeholder, replace=False)
    placeholder[chosen] = np.arange(n_placeholder) % len(PLACEHOLDER_USER_IDS)

    n_dev = np.where(is_new, rng.choice([1, 2], n, p=[0.85, 0.15]), rng.choice([1, 2, 3], n, p=[0.45, 0.38, 0.17]))
    n_dev = np.where(has_activity, n_dev, 0)
    pairs = _shared_device_pairs(rng, cfg, has_account)
    borrower = np.zeros(n, dtype=np.int64)
    borrower[pairs[:, 1]] = 1
    n_dev = n_dev + borrower
    dev_offset = np.concatenate([[0], np.cumsum(n_dev)[:-1]])
    n_slots = int(n_dev.sum())
    dev_person = np.repeat(np.arange(n), n_dev)
    dev_anon = np.array(text.uuids(rng, n_slots).to_pylist(), dtype=object)
    dev_shared = np.zeros(n_slots, dtype=bool)
    last_slot = dev_offset[pairs[:, 1]] + n_dev[pairs[:, 1]] - 1
    dev_anon[last_slot] = dev_anon[dev_offset[pairs[:, 0]]]
    dev_shared[last_slot] = True
    dev_type = rng.choice(3, size=n_slots, p=[0.45, 0.45, 0.10])
    dev_type[last_slot] = dev_type[dev_offset[pairs[:, 0]]]
    ua_pick = rng.integers(0, 1 << 20, n_slots)
    uas = [USER_AGENTS[t] for t in DEVICE_TYPES]
    dev_ua = np.array([uas[t][k % len(uas[t])] for t, k in zip(dev_type, ua_pick, strict=True)], dtype=object)
    dev_ua[last_slot] = dev_ua[dev_offset[pairs[:, 0]]]
    skewed = rng.random(n_slots) < 0.1
    dev_skew_s = np.where(skewed, np.clip(rng.normal(0, 240, n_slots), -1800, 1800), 0.0)

    return Population(
        n=n, person_key=np.array([f"P{i + 1:07d}" for i in range(n)], dtype=object), persona=persona,
        has_activity=has_activity, has_account=has_account, user_id=user_id, email=email,
        data_email=data_email, first_name=first_name, last_name=last_name, country=country,
        fav_categories=fav_categories, fav_brands=fav_brands, n_fav=n_fav, active_from_day=active_from,
        active_to_day=active_to, session_rate=session_rate, placeholder=placeholder, dev_offset=dev_offset,
        n_dev=n_dev, dev_person=dev_person, dev_anon=dev_anon, dev_type=dev_type, dev_ua=dev_ua,
        dev_skew_s=dev_skew_s, dev_shared=dev_shared,
    )


def _rank_weights(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.8
    return w / w.sum()


def _events_per_session(persona: np.ndarray, has_account: np.ndarray) -> np.ndarray:
    """Expected events per session, counting the add-to-cart views, rec clicks and purchase funnels."""
    cart = BROWSE_MIX[:, BROWSE_TYPES.index("add_to_cart")]
    rec = BROWSE_MIX[:, BROWSE_TYPES.index("recommendation_impression")]
    browse = EVENTS_PER_SESSION * (1 + cart * 1.25 + rec * REC_CTR * 2)
    return browse[persona] + has_account * PURCHASE_PER_SESSION[persona] * 3.8


def _shared_device_pairs(rng: np.random.Generator, cfg: ScaleConfig, has_account: np.ndarray) -> np.ndarray:
    """Pairs (owner, borrower) of account holders in the same simulation chunk who share one device."""
    pairs = []
    for lo in range(0, cfg.n_persons, cfg.chunk_persons):
        holders = np.flatnonzero(has_account[lo: lo + cfg.chunk_persons]) + lo
        k = min(len(holders) // 2, max(2, round(0.003 * len(holders))))
        if k:
            pairs.append(rng.choice(holders, size=2 * k, replace=False).reshape(k, 2))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
