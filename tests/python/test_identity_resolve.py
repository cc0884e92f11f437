"""Unit tests for identity resolution: caps, blocklist, provenance, stable person ids, determinism."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tailor.identity import (
    EDGE_COLUMNS,
    IDENTIFIER_COLUMNS,
    KNOWN_IDENTITY_COLUMNS,
    REFUSED_COLUMNS,
    identifier_key,
    identities_known_before,
    person_id_for,
    refused_edges,
    resolve_identities,
    union_with_caps,
    validate_caps,
)

T0 = pd.Timestamp("2024-01-01")


def edge(
    left: str, right: str | None, source: str, n: int = 1, day: int = 0, blocked: bool = False,
    known_day: int | None = None,
) -> dict:
    """An edge row from 'type:value' keys (right None for an identifier seen alone), first seen on `day` and
    first known (arrived) on `known_day`, the same day unless told."""
    left_type, left_value = left.split(":", 1)
    right_type, right_value = right.split(":", 1) if right else (None, None)
    return {
        "left_type": left_type,
        "left_value": left_value,
        "right_type": right_type,
        "right_value": right_value,
        "edge_source": source,
        "first_seen_at": T0 + pd.Timedelta(days=day),
        "first_known_at": T0 + pd.Timedelta(days=day if known_day is None else known_day),
        "last_seen_at": T0 + pd.Timedelta(days=day + 1),
        "n_observations": n,
        "is_blocked": blocked,
    }


def persons(edges: list[dict], caps: dict[str, int] | None = None) -> dict[str, str | None]:
    """identifier key -> person_id."""
    result = resolve_identities(pd.DataFrame(edges), caps).identifiers
    keys = result["identifier_type"] + ":" + result["identifier_value"]
    return dict(zip(keys, result["person_id"], strict=True))


def alice_and_bob() -> list[dict]:
    return [
        edge("user_id:U1", "email_hash:ea", "web.identifies", 2),
        edge("user_id:U1", "anonymous_id:a1", "events.logged_in", 30),
        edge("user_id:U1", "anonymous_id:a2", "pages.logged_in", 5),
        edge("email_hash:ea", "crm_contact_id:C1", "crm.contacts"),
        edge("user_id:U2", "email_hash:eb", "commerce.orders", 3),
        edge("user_id:U2", "anonymous_id:b1", "events.logged_in", 12),
        edge("anonymous_id:z9", None, "pages.anonymous"),
    ]


def test_connected_identifiers_share_one_person_and_strangers_do_not() -> None:
    got = persons(alice_and_bob())
    alice = {got[k] for k in ("user_id:U1", "email_hash:ea", "anonymous_id:a1", "anonymous_id:a2", "crm_contact_id:C1")}
    bob = {got[k] for k in ("user_id:U2", "email_hash:eb", "anonymous_id:b1")}
    assert len(alice) == 1 and len(bob) == 1
    assert alice != bob
    assert got["anonymous_id:z9"] not in alice | bob


def test_singleton_gets_a_person_named_after_itself() -> None:
    got = persons(alice_and_bob())
    assert got["anonymous_id:z9"] == person_id_for("anonymous_id:z9")


def test_person_id_comes_from_anchor_by_type_priority() -> None:
    got = persons(alice_and_bob())
    assert got["anonymous_id:a1"] == person_id_for("user_id:U1")
    no_user = persons(
        [edge("email_hash:e", "anonymous_id:a", "web.identifies"), edge("crm_contact_id:C", "email_hash:e", "crm")]
    )
    assert set(no_user.values()) == {person_id_for("email_hash:e")}
    assert person_id_for("user_id:U1").startswith("p_") and len(person_id_for("user_id:U1")) == 18


def test_shared_device_with_two_user_ids_stays_two_persons() -> None:
    edges = alice_and_bob() + [edge("user_id:U2", "anonymous_id:a1", "pages.logged_in", 2)]
    result = resolve_identities(pd.DataFrame(edges))
    got = persons(edges)
    assert got["user_id:U1"] != got["user_id:U2"]
    # the device stays with the user seen on it most
    assert got["anonymous_id:a1"] == got["user_id:U1"]
    refused = result.refused_edges
    assert len(refused) == 1
    row = refused.iloc[0]
    assert (row["left_type"], row["left_value"], row["right_value"]) == ("user_id", "U2", "a1")
    assert row["refused_cap_type"] == "user_id"
    assert row["left_person_id"] == got["user_id:U2"] and row["right_person_id"] == got["user_id:U1"]
    counts = result.identifiers.set_index("identifier_value")["n_refused_edges"]
    assert counts["a1"] == 1 and counts["U2"] == 1 and counts["U1"] == 0


def test_shared_inbox_not_on_the_blocklist_is_held_back_by_the_user_id_cap() -> None:
    edges = [
        edge("user_id:U1", "email_hash:shared", "commerce.orders", 4),
        edge("user_id:U2", "email_hash:shared", "commerce.orders", 1),
        edge("user_id:U3", "email_hash:shared", "web.identifies", 1),
    ]
    got = persons(edges)
    assert len({got["user_id:U1"], got["user_id:U2"], got["user_id:U3"]}) == 3
    assert got["email_hash:shared"] == got["user_id:U1"]


def test_device_cap_refuses_the_device_beyond_the_cap() -> None:
    edges = [edge("user_id:U1", f"anonymous_id:d{i}", "events.logged_in", 10 - i) for i in range(4)]
    got = persons(edges, {"anonymous_id": 3})
    assert [got[f"anonymous_id:d{i}"] == got["user_id:U1"] for i in range(4)] == [True, True, True, False]


def test_record_links_go_before_device_links_whatever_the_counts() -> None:
    # the device saw U2 more, but U2's email is already U1's: the email link is processed first and wins
    edges = [
        edge("user_id:U1", "email_hash:e", "commerce.orders", 1),
        edge("user_id:U2", "anonymous_id:a", "events.logged_in", 100),
        edge("email_hash:e", "anonymous_id:a", "web.identifies", 1),
        edge("user_id:U2", "email_hash:e", "web.identifies", 1, day=5),
    ]
    got = persons(edges, {"email_hash": 1})
    # U1-e and U2-e tie on count; U1-e was seen first
    assert got["email_hash:e"] == got["user_id:U1"]
    assert got["user_id:U2"] != got["user_id:U1"]
    assert got["anonymous_id:a"] == got["user_id:U2"]


def test_blocked_identifiers_link_nothing_and_get_no_person() -> None:
    edges = [
        edge("user_id:0", None, "blocklist", blocked=True),
        edge("anonymous_id:a", None, "pages.logged_in", 3),
        edge("anonymous_id:b", None, "pages.logged_in", 3),
        # a stray edge naming the blocked id must be ignored as well
        edge("user_id:0", "anonymous_id:a", "events.logged_in", 3),
        edge("user_id:0", "anonymous_id:b", "events.logged_in", 3),
    ]
    result = resolve_identities(pd.DataFrame(edges)).identifiers.set_index("identifier_value")
    assert bool(result.loc["0", "is_blocked"]) and pd.isna(result.loc["0", "person_id"])
    assert result.loc["a", "person_id"] != result.loc["b", "person_id"]
    assert not result.loc[["a", "b"], "is_blocked"].any()


def test_blocked_flag_on_a_link_row_is_rejected() -> None:
    with pytest.raises(ValueError, match="blocked row"):
        resolve_identities(pd.DataFrame([edge("user_id:0", "anonymous_id:a", "x", blocked=True)]))


def test_provenance_names_the_edge_towards_the_anchor() -> None:
    result = resolve_identities(pd.DataFrame(alice_and_bob())).identifiers
    by_key = result.assign(key=result["identifier_type"] + ":" + result["identifier_value"]).set_index("key")
    assert bool(by_key.loc["user_id:U1", "is_person_anchor"])
    assert pd.isna(by_key.loc["user_id:U1", "attached_via_edge_source"])
    assert by_key.loc["email_hash:ea", "attached_via_edge_source"] == "web.identifies"
    assert by_key.loc["email_hash:ea", "attached_via_identifier"] == "user_id:U1"
    assert by_key.loc["crm_contact_id:C1", "attached_via_edge_source"] == "crm.contacts"
    assert by_key.loc["crm_contact_id:C1", "attached_via_identifier"] == "email_hash:ea"
    assert by_key.loc["anonymous_id:a2", "attached_via_identifier"] == "user_id:U1"
    assert by_key["is_person_anchor"].sum() == result["person_id"].nunique()


def test_provenance_prefers_the_best_evidenced_source_of_a_pair() -> None:
    edges = [
        edge("user_id:U1", "anonymous_id:a", "web.identifies", 1),
        edge("user_id:U1", "anonymous_id:a", "events.logged_in", 40),
    ]
    result = resolve_identities(pd.DataFrame(edges)).identifiers.set_index("identifier_value")
    assert result.loc["a", "attached_via_edge_source"] == "events.logged_in"


def test_first_and_last_seen_span_every_row_of_an_identifier() -> None:
    edges = [
        edge("user_id:U1", "anonymous_id:a", "events.logged_in", day=3),
        edge("anonymous_id:a", None, "pages", day=9),
    ]
    result = resolve_identities(pd.DataFrame(edges)).identifiers.set_index("identifier_value")
    assert result.loc["a", "first_seen_at"] == T0 + pd.Timedelta(days=3)
    assert result.loc["a", "last_seen_at"] == T0 + pd.Timedelta(days=10)
    assert result.loc["U1", "last_seen_at"] == T0 + pd.Timedelta(days=4)


def test_same_input_in_any_row_order_gives_the_same_output() -> None:
    edges = pd.DataFrame(alice_and_bob() + [edge("user_id:U2", "anonymous_id:a1", "pages.logged_in", 2)])
    first = resolve_identities(edges)
    shuffled = resolve_identities(edges.sample(frac=1.0, random_state=7).reset_index(drop=True))
    pd.testing.assert_frame_equal(first.identifiers, shuffled.identifiers)
    pd.testing.assert_frame_equal(first.refused_edges, shuffled.refused_edges)


def test_adding_an_unrelated_person_keeps_everyone_elses_ids() -> None:
    before = persons(alice_and_bob())
    stranger = [
        edge("user_id:U0", "email_hash:e0", "web.identifies"),  # sorts before everyone
        edge("user_id:U0", "anonymous_id:a0", "events.logged_in", 999),
    ]
    after = persons(alice_and_bob() + stranger)
    assert {k: after[k] for k in before} == before
    full_before = resolve_identities(pd.DataFrame(alice_and_bob())).identifiers
    full_after = resolve_identities(pd.DataFrame(alice_and_bob() + stranger)).identifiers
    kept = full_after[~full_after["identifier_value"].isin(["U0", "e0", "a0"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, full_before)
    assert after["anonymous_id:a0"] == person_id_for("user_id:U0")


def test_output_columns_and_empty_input() -> None:
    result = resolve_identities(pd.DataFrame(alice_and_bob()))
    assert list(result.identifiers.columns) == list(IDENTIFIER_COLUMNS)
    assert list(result.refused_edges.columns) == list(REFUSED_COLUMNS)
    empty = resolve_identities(pd.DataFrame(columns=list(EDGE_COLUMNS)))
    assert empty.identifiers.empty and empty.refused_edges.empty


def test_refused_edges_are_exactly_the_edges_left_between_two_persons() -> None:
    rng = np.random.default_rng(3)
    users = [f"user_id:U{i}" for i in range(40)]
    devices = [f"anonymous_id:d{i}" for i in range(120)]
    rows = [
        edge(users[i], devices[j], "events.logged_in", int(rng.integers(1, 9)))
        for i, j in zip(rng.integers(0, 40, 300), rng.integers(0, 120, 300), strict=True)
    ]
    rows = [r for r in {(r["left_value"], r["right_value"]): r for r in rows}.values()]
    result = resolve_identities(pd.DataFrame(rows), {"anonymous_id": 4})
    got = result.identifiers.assign(
        key=result.identifiers["identifier_type"] + ":" + result.identifiers["identifier_value"]
    )
    person = dict(zip(got["key"], got["person_id"], strict=True))
    split = {
        (r["left_value"], r["right_value"])
        for r in rows
        if person[f"user_id:{r['left_value']}"] != person[f"anonymous_id:{r['right_value']}"]
    }
    refused = set(zip(result.refused_edges["left_value"], result.refused_edges["right_value"], strict=True))
    assert split == refused and refused
    sizes = got.groupby(["person_id", "identifier_type"]).size().unstack(fill_value=0)
    assert sizes["user_id"].max() <= 1 and sizes["anonymous_id"].max() <= 4


def test_refused_edges_rebuilt_from_a_stored_resolution_match() -> None:
    edges = pd.DataFrame(alice_and_bob() + [edge("user_id:U2", "anonymous_id:a1", "pages.logged_in", 2)])
    result = resolve_identities(edges, {"anonymous_id": 1})
    rebuilt = refused_edges(edges, result.identifiers, {"anonymous_id": 1})
    pd.testing.assert_frame_equal(rebuilt, result.refused_edges)
    assert set(rebuilt["refused_cap_type"]) == {"user_id", "anonymous_id"}


def test_edges_left_between_persons_are_the_ones_the_union_refused() -> None:
    rng = np.random.default_rng(5)
    node_type = rng.integers(0, 4, 400)
    lo, hi = rng.integers(0, 400, 1500), rng.integers(0, 400, 1500)
    roots, refused = union_with_caps(node_type, lo, hi, (1, 2, 3, 6))
    assert ((roots[lo] != roots[hi]) == (refused >= 0)).all()


def test_union_with_caps_on_arrays() -> None:
    node_type = np.array([0, 0, 1])  # two type-0 nodes and one type-1 node
    roots, refused = union_with_caps(node_type, np.array([0, 1]), np.array([2, 2]), (1, 5))
    assert refused.tolist() == [-1, 0]
    assert roots[0] == roots[2] != roots[1]


def test_caps_are_validated() -> None:
    assert validate_caps({"user_id": "2"})["user_id"] == 2
    with pytest.raises(ValueError, match=">= 1 and"):
        validate_caps({"email_hash": 0})
    with pytest.raises(ValueError, match="unknown"):
        validate_caps({"phone": 1})
    assert identifier_key("user_id", "U1") == "user_id:U1"


def test_resolution_scales_linearly_enough() -> None:
    """A 300k-identifier graph resolves in about a second of CPU (1.2M identifiers / 1M edges take ~4 s)."""
    n = 50_000
    users = np.char.add("U", np.arange(n).astype(str))
    rows = {
        "left_type": np.repeat("user_id", 5 * n),
        "left_value": np.tile(users, 5),
        "right_type": np.concatenate([np.repeat("email_hash", n), np.repeat("anonymous_id", 4 * n)]),
        "right_value": np.concatenate([np.char.add("e", users)] + [np.char.add(f"d{k}_", users) for k in range(4)]),
    }
    edges = pd.DataFrame(rows).assign(
        edge_source="events.logged_in", first_seen_at=T0, last_seen_at=T0, n_observations=1
    )
    started = time.process_time()  # CPU time: wall time depends on what else the machine runs
    result = resolve_identities(edges)
    elapsed = time.process_time() - started
    assert result.identifiers["person_id"].nunique() == n
    assert len(result.identifiers) == 6 * n
    assert elapsed < 20


def _retained(*keys: str) -> pd.DataFrame:
    return pd.DataFrame(
        [key.split(":", 1) for key in keys], columns=["identifier_type", "identifier_value"], dtype=object
    )


def test_identities_known_before_an_instant_ignore_later_merges() -> None:
    # U1 and a device a9 seen alone before day 5; the login linking them comes on day 6
    edges = pd.DataFrame(
        [
            edge("user_id:U1", "anonymous_id:a1", "events.events", day=1),
            edge("anonymous_id:a9", None, "web.pages", day=2),
            edge("user_id:U1", "anonymous_id:a9", "web.identifies", day=6),
            edge("user_id:U7", None, "web.pages", day=8),
        ]
    )
    retained = _retained("user_id:U1", "anonymous_id:a1", "anonymous_id:a9", "user_id:U7")
    before = identities_known_before(edges, T0 + pd.Timedelta(days=5), retained)
    assert list(before.columns) == list(KNOWN_IDENTITY_COLUMNS)
    known = dict(zip(before["identifier_type"] + ":" + before["identifier_value"], before["person_id"], strict=True))
    u1, a9 = person_id_for(identifier_key("user_id", "U1")), person_id_for(identifier_key("anonymous_id", "a9"))
    # the device is its own person then; an identifier first seen later is not known at all
    assert known == {"user_id:U1": u1, "anonymous_id:a1": u1, "anonymous_id:a9": a9}
    # today's map merges a9 into U1's person (the same id as before: the anchor did not change)
    today = persons(edges.to_dict("records"))
    assert today["anonymous_id:a9"] == u1 and today["user_id:U1"] == u1
    # a later instant knows the merge; adding edges first seen after the instant changes nothing before it
    after = identities_known_before(edges, T0 + pd.Timedelta(days=7), retained)
    assert set(after["person_id"]) == {u1}
    more = pd.concat([edges, pd.DataFrame([edge("user_id:U1", "anonymous_id:a2", "web.identifies", day=9)])])
    pd.testing.assert_frame_equal(identities_known_before(more, T0 + pd.Timedelta(days=5), retained), before)


def test_identities_known_before_an_instant_ignore_late_records_of_earlier_activity() -> None:
    # the login linking device a9 to U1 happened on day 3 but its record arrived on day 6 (a late event): known
    # at day 5 it was not, so the device is its own person then; at day 7 the merge is known
    edges = pd.DataFrame(
        [
            edge("user_id:U1", "anonymous_id:a1", "events.events", day=1),
            edge("anonymous_id:a9", None, "web.pages", day=2),
            edge("user_id:U1", "anonymous_id:a9", "events.events", day=3, known_day=6),
        ]
    )
    retained = _retained("user_id:U1", "anonymous_id:a1", "anonymous_id:a9")
    before = identities_known_before(edges, T0 + pd.Timedelta(days=5), retained)
    on_time = identities_known_before(edges.iloc[:2], T0 + pd.Timedelta(days=5), retained)
    pd.testing.assert_frame_equal(before, on_time)
    a9 = person_id_for(identifier_key("anonymous_id", "a9"))
    assert before.loc[before["identifier_value"] == "a9", "person_id"].tolist() == [a9]
    after = identities_known_before(edges, T0 + pd.Timedelta(days=7), retained)
    assert set(after["person_id"]) == {person_id_for(identifier_key("user_id", "U1"))}


def test_identities_known_before_need_the_arrival_time() -> None:
    edges = pd.DataFrame([edge("user_id:U1", "anonymous_id:a1", "events.events")]).drop(columns="first_known_at")
    with pytest.raises(ValueError, match="first_known_at"):
        identities_known_before(edges, T0 + pd.Timedelta(days=1), _retained("user_id:U1"))


def test_identities_known_before_keep_only_retained_identifiers() -> None:
    edges = pd.DataFrame(alice_and_bob())
    everyone = identities_known_before(edges, T0 + pd.Timedelta(days=1), _retained("user_id:U1", "email_hash:ea"))
    assert set(everyone["identifier_type"] + ":" + everyone["identifier_value"]) == {"user_id:U1", "email_hash:ea"}
    blocked = pd.DataFrame([edge("user_id:guest", None, "web.pages", blocked=True)])
    assert identities_known_before(blocked, T0 + pd.Timedelta(days=1), _retained("user_id:guest")).empty
