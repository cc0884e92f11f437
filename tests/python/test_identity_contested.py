"""The cap audit reads only the contested part of the identity graph: int_identity_edges_contested (the view,
rendered from its model file) and the Python model int_identity_edges_refused, run on DuckDB, give exactly the
refused edges of a resolution over the whole graph."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import duckdb
import jinja2
import numpy as np
import pandas as pd
from test_identity_resolve import edge

from tailor.identity import DEFAULT_CAPS, resolve_identities

ROOT = Path(__file__).resolve().parents[2]


def _graph(seed: int) -> pd.DataFrame:
    """Shared devices and inboxes among 40 users (refusals), CRM contacts of those inboxes seen on devices, 30
    users with devices of their own (no refusal), lone devices and a blocklisted placeholder id."""
    rng = np.random.default_rng(seed)
    rows = [
        edge(f"user_id:U{u}", f"anonymous_id:d{d}", "events.events", int(rng.integers(1, 20)))
        for u, d in zip(rng.integers(0, 40, 160), rng.integers(0, 90, 160), strict=True)
    ]
    rows += [
        edge(f"user_id:U{u}", f"email_hash:e{e}", "web.identifies", int(rng.integers(1, 5)))
        for u, e in zip(rng.integers(0, 40, 50), rng.integers(0, 25, 50), strict=True)
    ]
    # longer chains: an inbox's CRM contact seen on a device, so a refused edge can lie two links from a login
    rows += [edge(f"email_hash:e{e}", f"crm_contact_id:c{e}", "crm.contacts", 2) for e in range(25)]
    rows += [
        edge(f"crm_contact_id:c{c}", f"anonymous_id:d{d}", "privacy.consent_events", int(rng.integers(1, 20)))
        for c, d in zip(rng.integers(0, 25, 20), rng.integers(0, 90, 20), strict=True)
    ]
    rows += [edge(f"user_id:V{u}", f"anonymous_id:v{u}-{k}", "web.pages", k + 1) for u in range(30) for k in range(3)]
    rows += [edge(f"anonymous_id:lone{i}", None, "web.pages", 1) for i in range(10)]
    rows += [edge("user_id:undefined", None, "events.events", 4, blocked=True)]
    frame = pd.DataFrame(rows)
    return frame.drop_duplicates(["edge_source", "left_type", "left_value", "right_type", "right_value"])


class _Config:
    def __init__(self, meta: dict) -> None:
        self._meta = meta

    def __call__(self, **_: object) -> None:
        return None

    def meta_get(self, key: str) -> object:
        return self._meta[key]


class _Dbt:
    def __init__(self, con: duckdb.DuckDBPyConnection, meta: dict) -> None:
        self.config = _Config(meta)
        self._con = con
        self.refs: list[str] = []

    def ref(self, name: str) -> duckdb.DuckDBPyRelation:
        self.refs.append(name)
        return self._con.table(name)


def _python_model(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("refused_model", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _audit_both_ways(edges: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(refused edges of the Python model over the contested view, refused edges of a resolution over every
    edge, rows in the view)."""
    resolution = resolve_identities(edges, DEFAULT_CAPS)
    con = duckdb.connect()
    con.register("edges_frame", edges)
    con.register("identifiers_frame", resolution.identifiers)
    con.execute("create table int_identity_edges as select * from edges_frame")
    con.execute("create table int_identifiers_resolved as select * from identifiers_frame")
    con.execute("create table int_erasure_tombstones (tombstone_id varchar)")
    view = jinja2.Environment().from_string(
        (ROOT / "models/intermediate/identity/int_identity_edges_contested.sql").read_text()
    )
    con.execute(
        "create view int_identity_edges_contested as " + view.render(config=lambda **_: "", ref=lambda name: name)
    )
    meta = {"settings": json.dumps({f"cap_{kind}": cap for kind, cap in DEFAULT_CAPS.items()})}
    model = _python_model("python_models/intermediate/identity/int_identity_edges_refused.py")
    dbt = _Dbt(con, meta)
    refused = model.model(dbt, con)
    assert "int_identity_edges" not in dbt.refs  # the audit reads the contested view, not the whole graph
    contested = con.sql("select count(*) from int_identity_edges_contested").fetchall()[0][0]
    return refused.reset_index(drop=True), resolution.refused_edges.reset_index(drop=True), contested


def test_the_audit_over_contested_edges_equals_the_one_over_the_whole_graph() -> None:
    for seed in (1, 2, 3):
        edges = _graph(seed)
        refused, expected, contested = _audit_both_ways(edges)
        assert len(expected) > 5
        assert contested < len(edges) - 90  # the 30 users with devices of their own are left out
        pd.testing.assert_frame_equal(refused, expected)


def test_a_refusal_two_links_from_the_login_it_protects_is_found() -> None:
    # U1's inbox has a CRM contact seen on U2's device: the contact-device link would give one person two
    # logins and is refused, though neither of its ends is a login. Only U1's whole person shows the breach.
    edges = pd.DataFrame(
        [
            edge("user_id:U1", "email_hash:e1", "web.identifies", 5),
            edge("email_hash:e1", "crm_contact_id:c1", "crm.contacts", 2),
            edge("user_id:U2", "anonymous_id:a", "events.events", 10),
            edge("crm_contact_id:c1", "anonymous_id:a", "privacy.consent_events", 1),
            edge("user_id:U3", "anonymous_id:b", "events.events", 3),
        ]
    )
    refused, expected, contested = _audit_both_ways(edges)
    assert list(zip(expected["left_value"], expected["right_value"], strict=True)) == [("c1", "a")]
    assert contested == 4  # U3 and its device are not read
    pd.testing.assert_frame_equal(refused, expected)
