"""Segment naming: rule table, uniqueness via secondary traits, and the keep-the-previous-name rule."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from tailor.segments import name_segments, run_segmentation
from tailor.segments.naming import MAINSTREAM, keeps_previous_name, primary_rule, trait_phrase
from tailor.segments.profile import population_stats, segment_means, top_features, top_features_text
from tailor.segments.synthetic import PERSONA_CONFIG, make_persona_profiles


def z_frame(rows: dict[int, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)


def test_rule_table_picks_the_strongest_holding_trait() -> None:
    assert (
        primary_rule({"monetary_usd": 2.0, "frequency_orders": 1.5, "recency_days": -0.8}).key
        == "loyal_high_value"
    )
    # big spend but long gone: the recency gate blocks 'loyal', lapsing wins
    assert primary_rule({"monetary_usd": 1.0, "frequency_orders": 0.5, "recency_days": 1.4}).key == "lapsing"
    assert (
        primary_rule({"video_seconds_90d": 2.5, "sessions_90d": 0.8, "frequency_orders": -0.6}).key
        == "content_fan"
    )
    assert primary_rule({"sessions_90d": 1.6, "frequency_orders": -0.7}).key == "engaged_browser"
    assert primary_rule({"sessions_90d": 1.6, "frequency_orders": 0.7}).key == "mainstream"
    assert primary_rule({"days_since_first_seen": -1.3, "sessions_90d": -0.9}).key == "new_visitor"
    assert primary_rule({}).key == "mainstream"


def test_duplicate_rules_are_disambiguated_by_the_strongest_other_trait() -> None:
    z = z_frame(
        {
            0: {"discount_share": 1.5, "monetary_usd": 0.9},
            1: {"discount_share": 1.1, "monetary_usd": -0.2, "sessions_90d": -0.6},
            2: {"discount_share": 0.8},
            3: {},
            4: {"monetary_usd": 0.1},
        }
    )
    names = name_segments(z, taken=["Low-confidence profiles"])
    assert names.at[0, "segment_name"] == "Bargain hunters"
    assert names.at[1, "segment_name"] == "Bargain hunters (few sessions)"
    assert names.at[2, "segment_name"] == "Bargain hunters (2)"  # no other trait strong enough
    assert names.at[3, "segment_name"] == "Mainstream customers"
    assert names.at[4, "segment_name"] == "Mainstream customers (2)"
    assert names["segment_name"].is_unique
    assert list(names["name_rule"]) == ["bargain_hunter"] * 3 + ["mainstream"] * 2


def test_fixed_names_are_reserved_first() -> None:
    z = z_frame({0: {"discount_share": 1.5}, 1: {"discount_share": 2.0, "support_tickets": 0.9}})
    names = name_segments(z, fixed={0: ("Bargain hunters", "bargain_hunter")})
    assert names.at[0, "segment_name"] == "Bargain hunters"
    assert names.at[1, "segment_name"] == "Bargain hunters (need support)"


def test_keep_previous_name_only_while_its_trait_holds() -> None:
    hysteresis = PERSONA_CONFIG.name_hysteresis
    assert keeps_previous_name("bargain_hunter", {"discount_share": 0.4}, hysteresis)  # within the slack
    assert not keeps_previous_name("bargain_hunter", {"discount_share": 0.1}, hysteresis)
    # another trait now dominates by more than the slack: rename
    assert not keeps_previous_name(
        "bargain_hunter", {"discount_share": 0.6, "video_seconds_90d": 2.0}, hysteresis
    )
    assert keeps_previous_name(
        "bargain_hunter", {"discount_share": 0.9, "video_seconds_90d": 1.0}, hysteresis
    )
    assert keeps_previous_name("mainstream", {"discount_share": 0.6}, hysteresis)
    assert not keeps_previous_name("mainstream", {"discount_share": 1.2}, hysteresis)
    assert not keeps_previous_name("no_such_rule", {}, hysteresis)
    assert MAINSTREAM.holds({})


def test_previous_custom_names_persist_and_stale_ones_are_replaced() -> None:
    config = replace(PERSONA_CONFIG, k=6)
    first_data = make_persona_profiles(2500, seed=41)
    first = run_segmentation(first_data.profiles, first_data.interactions, config=config)
    previous = first.segments.copy()
    bargain = previous["name_rule"] == "bargain_hunter"
    loyal = previous["name_rule"] == "loyal_high_value"
    previous.loc[bargain, "segment_name"] = "Deal seekers"  # a marketer's rename keeps its rule key
    previous.loc[loyal, ["segment_name", "name_rule"]] = [
        "Weekend shoppers",
        "engaged_browser",
    ]  # no longer true
    second_data = make_persona_profiles(2500, seed=42, id_prefix="R")
    second = run_segmentation(
        second_data.profiles, second_data.interactions, config=config, previous_segments=previous
    )
    names = second.segments.set_index("segment_id")["segment_name"]
    assert names[previous.loc[bargain, "segment_id"].iloc[0]] == "Deal seekers"
    assert names[previous.loc[loyal, "segment_id"].iloc[0]] == "Loyal high-value buyers"


def test_trait_phrases_cover_unknown_features() -> None:
    assert trait_phrase("monetary_usd", 1) == "high spend"
    assert trait_phrase("newsletter_clicks", -1) == "low newsletter clicks"


def test_top_features_in_original_units() -> None:
    values = pd.DataFrame(
        {"monetary_usd": [10.0, 12.0, 11.0, 500.0, 520.0, 510.0], "discount_share": [0.2] * 6}
    )
    labels = [0, 0, 0, 1, 1, 1]
    stats = population_stats(values, winsor_quantile=0.0)
    means = segment_means(values, labels, stats)
    top = top_features(means, stats, n=2)
    first = top[(top["label"] == 1) & (top["rank"] == 1)].iloc[0]
    assert first["feature"] == "monetary_usd"
    assert first["segment_mean"] == pytest.approx(510.0) and first["population_mean"] == pytest.approx(260.5)
    assert first["z"] == pytest.approx((510.0 - 260.5) / values["monetary_usd"].std(ddof=0))
    assert top_features_text(top)[1].startswith("monetary_usd 510.0 vs 260.5 (z +1.00); discount_share 0.20")
