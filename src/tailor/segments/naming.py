"""Names people can act on, derived from a rule table over segment z-scores in original units.

Each rule has a lead trait (feature, direction, minimum z) and optional gates; a segment takes the holding
rule with the strongest lead z (table order breaks ties), else "Mainstream customers". Names are unique:
when several segments earn the same rule, the strongest keeps the plain name and the others get their
strongest other trait in brackets, e.g. "Bargain hunters (high spend)".

Across retrains (`keeps_previous_name`) a matched segment keeps its previous name, custom renames
included, while the rule behind that name still holds within `name_hysteresis` z and no other rule beats
it by more than that margin; only then is it renamed from the table. Small centroid wobble never renames.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

HIGH, LOW = 1, -1
MIN_TRAIT_Z = 0.25


@dataclass(frozen=True)
class Condition:
    """`direction * z(feature) >= threshold`: direction +1 means 'high', -1 means 'low'."""

    feature: str
    direction: int
    threshold: float

    def signed_z(self, z: Mapping[str, float]) -> float:
        return self.direction * float(z.get(self.feature, 0.0))

    def holds(self, z: Mapping[str, float], slack: float = 0.0) -> bool:
        return self.signed_z(z) >= self.threshold - slack


@dataclass(frozen=True)
class NameRule:
    """One row of the naming table; `lead` None marks the catch-all rule."""

    key: str
    name: str
    lead: Condition | None
    gates: tuple[Condition, ...] = ()

    def score(self, z: Mapping[str, float]) -> float:
        return self.lead.signed_z(z) if self.lead is not None else float("-inf")

    def holds(self, z: Mapping[str, float], slack: float = 0.0) -> bool:
        conditions = ((self.lead,) if self.lead is not None else ()) + self.gates
        return all(condition.holds(z, slack) for condition in conditions)


MAINSTREAM = NameRule("mainstream", "Mainstream customers", None)

NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        "loyal_high_value",
        "Loyal high-value buyers",
        Condition("monetary_usd", HIGH, 0.5),
        (Condition("frequency_orders", HIGH, 0.25), Condition("recency_days", LOW, -0.25)),
    ),
    NameRule(
        "lapsing",
        "Lapsing customers",
        Condition("recency_days", HIGH, 0.5),
        (Condition("days_since_first_seen", HIGH, -0.25), Condition("sessions_90d", LOW, 0.0)),
    ),
    NameRule("bargain_hunter", "Bargain hunters", Condition("discount_share", HIGH, 0.5)),
    NameRule("content_fan", "Video and content fans", Condition("video_seconds_90d", HIGH, 0.5)),
    NameRule("new_visitor", "New visitors", Condition("days_since_first_seen", LOW, 0.5)),
    NameRule(
        "engaged_browser",
        "Engaged browsers, rarely buy",
        Condition("sessions_90d", HIGH, 0.5),
        (Condition("frequency_orders", LOW, 0.0),),
    ),
    NameRule(
        "quiet_visitor",
        "Quiet occasional visitors",
        Condition("sessions_90d", LOW, 0.5),
        (Condition("frequency_orders", LOW, 0.0), Condition("days_since_first_seen", HIGH, -0.25)),
    ),
    MAINSTREAM,
)

TRAIT_PHRASES: dict[str, tuple[str, str]] = {
    "recency_days": ("long since last order", "recent buyers"),
    "frequency_orders": ("frequent orders", "few orders"),
    "monetary_usd": ("high spend", "low spend"),
    "avg_order_value_usd": ("big baskets", "small baskets"),
    "discount_share": ("discount-driven", "full-price"),
    "sessions_30d": ("busy this month", "quiet this month"),
    "sessions_90d": ("many sessions", "few sessions"),
    "active_days_30d": ("active most days", "rarely active"),
    "active_days_90d": ("active most weeks", "seldom active"),
    "avg_session_duration_s": ("long sessions", "short sessions"),
    "events_per_session": ("deep browsing", "shallow browsing"),
    "avg_scroll_percent": ("read to the end", "skim pages"),
    "video_seconds_90d": ("watch video", "no video"),
    "feature_uses_90d": ("feature power users", "few feature uses"),
    "cart_abandon_rate": ("abandon carts", "complete checkouts"),
    "price_sensitivity": ("price-sensitive", "price-insensitive"),
    "support_tickets": ("need support", "self-sufficient"),
    "avg_sentiment": ("happy", "unhappy"),
    "days_since_first_seen": ("long-standing", "recently joined"),
}


def trait_phrase(feature: str, direction: int) -> str:
    """Plain-words phrase for 'high/low <feature>'."""
    high, low = TRAIT_PHRASES.get(
        feature, (f"high {feature.replace('_', ' ')}", f"low {feature.replace('_', ' ')}")
    )
    return high if direction > 0 else low


def rule_by_key(key: str, rules: Iterable[NameRule] = NAME_RULES) -> NameRule | None:
    return next((rule for rule in rules if rule.key == key), None)


def primary_rule(z: Mapping[str, float], rules: Iterable[NameRule] = NAME_RULES) -> NameRule:
    """The holding rule with the strongest lead z; table order breaks ties; catch-all when none holds."""
    best: NameRule = MAINSTREAM
    best_score = float("-inf")
    for rule in rules:
        if rule.lead is not None and rule.holds(z) and rule.score(z) > best_score:
            best, best_score = rule, rule.score(z)
    return best


def _secondary_traits(z: Mapping[str, float], exclude: str | None) -> list[str]:
    ranked = sorted(
        (
            (feature, value)
            for feature, value in z.items()
            if feature != exclude and abs(value) >= MIN_TRAIT_Z
        ),
        key=lambda item: (-abs(item[1]), item[0]),
    )
    return [trait_phrase(feature, HIGH if value > 0 else LOW) for feature, value in ranked]


def _unique_name(base: str, z: Mapping[str, float], lead: str | None, taken: set[str]) -> str:
    if base not in taken:
        return base
    for phrase in _secondary_traits(z, lead):
        candidate = f"{base} ({phrase})"
        if candidate not in taken:
            return candidate
    number = 2
    while f"{base} ({number})" in taken:
        number += 1
    return f"{base} ({number})"


def name_segments(
    z: pd.DataFrame,
    fixed: Mapping[int, tuple[str, str]] | None = None,
    taken: Iterable[str] = (),
    rules: tuple[NameRule, ...] = NAME_RULES,
) -> pd.DataFrame:
    """Unique name per segment label from its z-scores (rows: labels, columns: features).

    `fixed` maps labels to (name, rule key) kept from a previous run; they are reserved first. `taken`
    lists names used elsewhere (fallback segments). Returns segment_name, name_rule, name_score by label.
    """
    fixed = dict(fixed or {})
    used = set(taken) | {name for name, _ in fixed.values()}
    out: dict[int, tuple[str, str, float]] = {}
    for label, (name, key) in fixed.items():
        rule = rule_by_key(key, rules)
        score = rule.score(z.loc[label].to_dict()) if rule is not None else float("nan")
        out[label] = (name, key, score)
    pending = []
    for label in z.index:
        if label in fixed:
            continue
        row = z.loc[label].to_dict()
        rule = primary_rule(row, rules)
        pending.append((label, row, rule, rule.score(row)))
    for label, row, rule, score in sorted(pending, key=lambda item: (-item[3], item[0])):
        lead = rule.lead.feature if rule.lead is not None else None
        name = _unique_name(rule.name, row, lead, used)
        used.add(name)
        out[label] = (name, rule.key, score)
    frame = pd.DataFrame.from_dict(out, orient="index", columns=["segment_name", "name_rule", "name_score"])
    return frame.loc[list(z.index)]


def keeps_previous_name(previous_rule: str, z: Mapping[str, float], hysteresis: float) -> bool:
    """Whether a matched segment keeps its previous name: its previous rule still holds with `hysteresis`
    slack and no other rule now beats it by more than `hysteresis` (catch-all: no rule clears the slack)."""
    rule = rule_by_key(previous_rule)
    if rule is None:
        return False
    challenger = primary_rule(z)
    if rule.lead is None:
        return challenger.lead is None or challenger.score(z) < challenger.lead.threshold + hysteresis
    if not rule.holds(z, slack=hysteresis):
        return False
    return challenger.key == rule.key or challenger.score(z) <= rule.score(z) + hysteresis
