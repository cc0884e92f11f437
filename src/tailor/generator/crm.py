"""CRM contacts (Salesforce-shaped): duplicates, missing demographics, free-text countries, messy tiers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tailor.generator import text
from tailor.generator.config import (
    BARGAIN,
    DAY_S,
    DUPLICATE_CONTACT_SHARE,
    IMPLAUSIBLE_BIRTHDATE_SHARE,
    LOYAL,
    MISSING_DEMOGRAPHICS_SHARE,
    NEW,
)
from tailor.generator.population import Population
from tailor.generator.vocab import COUNTRIES, GENDER_SPELLINGS, LOYALTY_TIERS


def _tiers(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    probs = np.where((persona == LOYAL)[:, None], [0.0, 0.1, 0.5, 0.4, 0.0],
                     np.where((persona == BARGAIN)[:, None], [0.5, 0.3, 0.05, 0.0, 0.15],
                              [0.35, 0.2, 0.05, 0.0, 0.4]))
    pick = (rng.random(len(persona))[:, None] > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, 4)
    tier = np.array(list(LOYALTY_TIERS) + [None], dtype=object)[pick]
    style = rng.integers(0, 3, len(persona))
    out = np.empty(len(persona), dtype=object)
    for i, (t, k) in enumerate(zip(tier, style, strict=True)):
        out[i] = None if t is None else (t, t.capitalize(), t.upper())[k]
    return out


def contacts(rng: np.random.Generator, pop: Population, start_s: float, first_active_s: np.ndarray,
             marketing_ever: np.ndarray) -> pa.Table:
    """One contact for most account holders and all CRM-only persons, two for ~5% (same email, other case).

    Hidden columns: _person, _visible_at (created), _t_modified (a later edit, shown once it happened)."""
    has_contact = (pop.has_account & (rng.random(pop.n) < 0.9)) | ~pop.has_activity
    persons = np.flatnonzero(has_contact)
    dup = persons[rng.random(len(persons)) < DUPLICATE_CONTACT_SHARE]
    person = np.concatenate([persons, dup])
    second = np.concatenate([np.zeros(len(persons), dtype=bool), np.ones(len(dup), dtype=bool)])
    order = np.lexsort((second, person))
    person, second = person[order], second[order]
    n = len(person)
    persona = pop.persona[person]

    email = pa.array(pop.data_email[person], pa.string())
    email = text.email_variants(rng, email, 1.0)
    first_email = text.email_variants(rng, pa.array(pop.data_email[person], pa.string()), 0.15)
    # A duplicated person's first contact keeps the plain address so the second always differs from it.
    plain = np.isin(person, dup)
    email = np.where(second, email.to_numpy(zero_copy_only=False),
                     np.where(plain, pop.data_email[person], first_email.to_numpy(zero_copy_only=False)))
    no_email = ~pop.has_activity[person] & (rng.random(n) < 0.3)
    email = pa.array(np.where(no_email, None, email), pa.string())

    missing = rng.random((n, 3)) < MISSING_DEMOGRAPHICS_SHARE
    birth = start_s - rng.uniform(18, 80, n) * 365.25 * DAY_S
    birthdate = np.where(missing[:, 0], None, text.iso_date(birth).to_numpy(zero_copy_only=False))
    gender_key = rng.choice(["female", "male", "non_binary"], n, p=[0.49, 0.47, 0.04])
    gender = np.array([GENDER_SPELLINGS[g][k % len(GENDER_SPELLINGS[g])] for g, k in
                       zip(gender_key, rng.integers(0, 12, n), strict=True)], dtype=object)
    gender = np.where(missing[:, 1], None, gender)
    country = pop.country[person]
    pick = rng.integers(0, 1 << 20, n)
    country_text = np.array([COUNTRIES[c][1][k % len(COUNTRIES[c][1])] for c, k in
                             zip(country, pick, strict=True)], dtype=object)
    city = np.array([COUNTRIES[c][2][k % len(COUNTRIES[c][2])] for c, k in zip(country, pick, strict=True)],
                    dtype=object)
    country_text = np.where(missing[:, 2], None, country_text)
    city = np.where(missing[:, 2], None, city)
    prefix = np.array([COUNTRIES[c][4] for c in country], dtype=object)
    phone_number = rng.integers(100_000_000, 999_999_999, n).astype(str).astype(object)
    phone = np.where(rng.random(n) < 0.25, None, prefix + " " + phone_number)

    before = start_s - rng.uniform(1, 700, n) * DAY_S
    new_account = (persona == NEW) & pop.has_activity[person]
    created = np.where(new_account, first_active_s[person] - rng.uniform(60, 3600, n), before)
    created = np.where(second, created + rng.uniform(5, 200, n) * DAY_S, created)
    created = np.minimum(created, np.where(np.isfinite(first_active_s[person]), first_active_s[person], created))
    modified = created + rng.exponential(60, n) * DAY_S
    first_name = np.where(second & (rng.random(n) < 0.5),
                          np.char.upper(pop.first_name[person].astype(str)).astype(object), pop.first_name[person])
    opted_out = np.where(marketing_ever[person], rng.random(n) < 0.05, rng.random(n) < 0.7)
    return pa.table({
        "Id": text.alnum(rng, n, 15, "003"),
        "Email": email,
        "FirstName": pa.array(first_name, pa.string()),
        "LastName": pa.array(pop.last_name[person], pa.string()),
        "Phone": pa.array(phone, pa.string()),
        "Birthdate": pa.array(birthdate, pa.string()),
        "GenderIdentity": pa.array(gender, pa.string()),
        "MailingCountry": pa.array(country_text, pa.string()),
        "MailingCity": pa.array(city, pa.string()),
        "Loyalty_Tier__c": pa.array(_tiers(rng, persona), pa.string()),
        "CreatedDate": text.iso(created),
        "LastModifiedDate": pa.nulls(n, pa.string()),
        "HasOptedOutOfEmail": pa.array(opted_out, pa.bool_()),
        "_person": person,
        "_visible_at": created,
        "_t_modified": modified,
    })


def plant_implausible_birthdates(rng: np.random.Generator, contacts: pa.Table) -> tuple[pa.Table, list[str]]:
    """Gives a few contacts a birthdate no living customer has (in the future, or more than 120 years back),
    as a form default or a typo does; returns the table and their Ids (truth: the pipeline nulls and flags
    exactly these birth years)."""
    n = contacts.num_rows
    chosen = np.flatnonzero(rng.random(n) < IMPLAUSIBLE_BIRTHDATE_SHARE)
    if n and len(chosen) < 2:
        chosen = rng.choice(n, size=min(2, n), replace=False)
    future = rng.random(len(chosen)) < 0.5
    years = np.where(future, rng.integers(2060, 2100, len(chosen)), rng.integers(1800, 1890, len(chosen)))
    birthdate = np.array(contacts["Birthdate"].to_pylist(), dtype=object)
    birthdate[chosen] = [f"{year}-{month:02d}-15" for year, month in
                         zip(years, rng.integers(1, 13, len(chosen)), strict=True)]
    column = contacts.schema.get_field_index("Birthdate")
    table = contacts.set_column(column, "Birthdate", pa.array(birthdate, pa.string()))
    return table, sorted(contacts["Id"].take(pa.array(chosen)).to_pylist())
