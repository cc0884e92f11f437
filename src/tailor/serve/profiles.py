"""Which profile fields a marketing consumer may see, by the consent purpose each one serves.

Consent state and the profile's own metadata are always shown (a consumer must know why fields are
withheld); every other field is released only when the person's consent for its purpose holds now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALWAYS_VISIBLE: tuple[str, ...] = (
    "person_id",
    "has_analytics_consent",
    "has_personalization_consent",
    "has_marketing_consent",
    "is_email_opted_out",
    "profile_updated_at",
)
# purpose -> (the consent flag that must hold, the fields it releases)
FIELDS_BY_PURPOSE: dict[str, tuple[str, tuple[str, ...]]] = {
    "marketing": (
        "has_marketing_consent",
        (
            "age_band",
            "gender",
            "country_code",
            "loyalty_tier",
            "segment_id",
            "segment_name",
            "recency_days",
            "frequency_orders",
            "monetary_usd",
            "rfm_cell",
        ),
    ),
    "personalization": (
        "has_personalization_consent",
        ("top_categories", "top_brands", "preference_tags", "price_sensitivity", "relative_price_level"),
    ),
    "analytics": (
        "has_analytics_consent",
        ("first_seen_at", "last_seen_at", "session_count", "sessions_30d", "active_days_30d"),
    ),
}


def profile_columns() -> tuple[str, ...]:
    """Every column the profile endpoint reads, in a stable order."""
    purposed = tuple(field for _, fields in FIELDS_BY_PURPOSE.values() for field in fields)
    return ALWAYS_VISIBLE + purposed


def visible_profile(row: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as a consumer may see it: always-visible fields, then one block per consented purpose;
    `withheld_purposes` names the purposes without consent (their fields are left out, not nulled)."""
    profile: dict[str, Any] = {field: row[field] for field in ALWAYS_VISIBLE}
    withheld = []
    for purpose, (flag, fields) in FIELDS_BY_PURPOSE.items():
        if row[flag] is True:
            profile[purpose] = {field: row[field] for field in fields}
        else:
            withheld.append(purpose)
    profile["withheld_purposes"] = withheld
    return profile
