"""Consent history per person and purpose (CMP banner at the first visit, preference-centre changes later)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tailor.generator import text
from tailor.generator.config import (
    ANALYTICS_DENY_SHARE,
    MARKETING_NEVER_SHARE,
    PERSONALIZATION_REGRANT_SHARE,
    PERSONALIZATION_REVOKE_SHARE,
)
from tailor.generator.population import Population
from tailor.generator.world import Sessions
from tailor.landing import CONSENT_PURPOSES


def _session_after(s_person: np.ndarray, s_start: np.ndarray, person: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of each person's first session starting at or after t (sessions sorted by person, start)."""
    p0, t0 = s_person.min(), s_start.min()  # keep keys < 2**53 so float64 stays exact to the second
    key = (s_person - p0).astype(np.float64) * 1e9 + (s_start - t0)
    pos = np.searchsorted(key, (person - p0).astype(np.float64) * 1e9 + (t - t0), side="left")
    pos = np.minimum(pos, len(key) - 1)
    valid = s_person[pos] == person
    return np.where(valid, pos, -1)


def consent_events(rng: np.random.Generator, pop: Population, sessions: Sessions, s_user: pa.Array,
                   sim_end_s: float) -> tuple[pa.Table, pa.Table]:
    """Landing consent events and the truth intervals they imply.

    Returns (events with hidden _person/_visible_at columns, intervals: person, purpose, from, to, granted)."""
    person_s, start_s = sessions.person, sessions.start
    if len(person_s) == 0:
        return _empty_events(), _empty_intervals()
    first = np.ones(len(person_s), dtype=bool)
    first[1:] = person_s[1:] != person_s[:-1]
    last = np.ones(len(person_s), dtype=bool)
    last[:-1] = person_s[1:] != person_s[:-1]
    fi = np.flatnonzero(first)
    persons = person_s[fi]
    t_first = start_s[fi] + 0.1
    t_last = start_s[np.flatnonzero(last)]
    n = len(persons)
    granted = {
        "analytics": rng.random(n) >= ANALYTICS_DENY_SHARE,
        "personalization": rng.random(n) >= 0.03,
        "marketing": rng.random(n) >= MARKETING_NEVER_SHARE,
    }
    rows = []  # (person, purpose idx, time, granted, session index, source)
    for p_idx, purpose in enumerate(CONSENT_PURPOSES):
        rows.append((persons, np.full(n, p_idx), t_first, granted[purpose], fi, np.zeros(n, dtype=np.int64)))
    # Later personalization revocations (and some re-grants) through the preference centre.
    revoke = granted["personalization"] & (rng.random(n) < PERSONALIZATION_REVOKE_SHARE) & (t_last > t_first)
    r = np.flatnonzero(revoke)
    t_rev = t_first[r] + rng.uniform(0.1, 0.9, len(r)) * (t_last[r] - t_first[r])
    sess_rev = _session_after(person_s, start_s, persons[r], t_rev)
    ok = sess_rev >= 0
    r, sess_rev = r[ok], sess_rev[ok]
    t_rev = start_s[sess_rev] + 30.0
    rows.append((persons[r], np.full(len(r), 1), t_rev, np.zeros(len(r), dtype=bool), sess_rev,
                 np.ones(len(r), dtype=np.int64)))
    regrant = rng.random(len(r)) < PERSONALIZATION_REGRANT_SHARE
    g = np.flatnonzero(regrant & (t_last[r] > t_rev + 3600))
    t_reg = t_rev[g] + rng.uniform(0.2, 1.0, len(g)) * (t_last[r][g] - t_rev[g])
    sess_reg = _session_after(person_s, start_s, persons[r][g], t_reg)
    ok = sess_reg >= 0
    g, sess_reg = g[ok], sess_reg[ok]
    rows.append((persons[r][g], np.full(len(g), 1), start_s[sess_reg] + 30.0, np.ones(len(g), dtype=bool),
                 sess_reg, np.ones(len(g), dtype=np.int64)))

    person, purpose, t, is_granted, sess, source = (np.concatenate(col) for col in zip(*rows, strict=True))
    order = np.lexsort((purpose, t, person))
    person, purpose, t, is_granted, sess, source = (a[order] for a in (person, purpose, t, is_granted, sess, source))
    keep = t <= sim_end_s
    person, purpose, t, is_granted, sess, source = (a[keep] for a in (person, purpose, t, is_granted, sess, source))
    m = len(person)
    slot = sessions.device_slot[sess]
    events = pa.table({
        "consent_event_id": text.uuids(rng, m),
        "anonymous_id": pa.array(pop.dev_anon[slot], pa.string()),
        "user_id": s_user.take(pa.array(sess)),
        "purpose": pa.array(np.array(CONSENT_PURPOSES, dtype=object)[purpose], pa.string()),
        "status": pa.array(np.where(is_granted, "granted", "revoked").astype(object), pa.string()),
        "source": pa.array(np.array(["cmp_banner", "preference_centre"], dtype=object)[source], pa.string()),
        "occurred_at": text.iso(t),
        "_person": person,
        "_visible_at": t,
    })
    # Intervals: each event opens one, closed by the next event of the same person and purpose.
    order = np.lexsort((t, purpose, person))
    pp, pu, tt, gg = person[order], purpose[order], t[order], is_granted[order]
    same_next = np.zeros(m, dtype=bool)
    same_next[:-1] = (pp[1:] == pp[:-1]) & (pu[1:] == pu[:-1])
    valid_to = np.where(same_next, np.roll(tt, -1), np.nan)
    intervals = pa.table({
        "person": pp,
        "purpose": pa.array(np.array(CONSENT_PURPOSES, dtype=object)[pu], pa.string()),
        "valid_from": tt,
        "valid_to": valid_to,
        "is_granted": gg,
    })
    return events, intervals


def _empty_events() -> pa.Table:
    return pa.table({
        "consent_event_id": pa.array([], pa.string()), "anonymous_id": pa.array([], pa.string()),
        "user_id": pa.array([], pa.string()), "purpose": pa.array([], pa.string()),
        "status": pa.array([], pa.string()), "source": pa.array([], pa.string()),
        "occurred_at": pa.array([], pa.string()), "_person": pa.array([], pa.int64()),
        "_visible_at": pa.array([], pa.float64()),
    })


def _empty_intervals() -> pa.Table:
    return pa.table({
        "person": pa.array([], pa.int64()), "purpose": pa.array([], pa.string()),
        "valid_from": pa.array([], pa.float64()), "valid_to": pa.array([], pa.float64()),
        "is_granted": pa.array([], pa.bool_()),
    })


def consent_now(intervals: pa.Table, n_persons: int, at_s: float) -> dict[str, np.ndarray]:
    """Per purpose, whether each person's consent is granted at time at_s (no record -> not granted)."""
    out = {}
    person = intervals["person"].to_numpy()
    purpose = intervals["purpose"].to_numpy(zero_copy_only=False)
    start = intervals["valid_from"].to_numpy()
    end = np.nan_to_num(intervals["valid_to"].to_numpy(zero_copy_only=False).astype(float), nan=np.inf)
    granted = intervals["is_granted"].to_numpy(zero_copy_only=False)
    for name in CONSENT_PURPOSES:
        flag = np.zeros(n_persons, dtype=bool)
        hit = (purpose == name) & (start <= at_s) & (end > at_s)
        flag[person[hit]] = granted[hit]
        out[name] = flag
    return out
