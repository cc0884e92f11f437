"""Identity resolution: connected components over identifier edges, with per-type caps against over-merging.

Edges are processed in a fixed priority order (deterministic person-level links first, then device links by
evidence), and a union that would give one person more identifiers of a type than its cap is refused and
recorded, the guard warehouse-native CDPs use against shared devices and shared inboxes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

# Priority order: the first type present in a person names it (its anchor) and outranks the rest.
IDENTIFIER_TYPES: tuple[str, ...] = ("user_id", "email_hash", "crm_contact_id", "anonymous_id")
DEFAULT_CAPS: dict[str, int] = {"user_id": 1, "email_hash": 2, "crm_contact_id": 3, "anonymous_id": 25}
# Device identifiers link on behaviour (logged-in page views), the others on records: those go first.
DEVICE_TYPES: frozenset[str] = frozenset({"anonymous_id"})
_FIELD_BITS = 20  # width of one type's counter in union_with_caps' packed per-person counts

EDGE_COLUMNS: tuple[str, ...] = (
    "left_type",
    "left_value",
    "right_type",
    "right_value",
    "edge_source",
    "first_seen_at",
    "last_seen_at",
    "n_observations",
)
IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "identifier_type",
    "identifier_value",
    "person_id",
    "is_person_anchor",
    "attached_via_edge_source",
    "attached_via_identifier",
    "is_blocked",
    "n_refused_edges",
    "first_seen_at",
    "last_seen_at",
)
REFUSED_COLUMNS: tuple[str, ...] = (
    "left_type",
    "left_value",
    "right_type",
    "right_value",
    "edge_source",
    "n_observations",
    "first_seen_at",
    "last_seen_at",
    "refused_cap_type",
    "left_person_id",
    "right_person_id",
)


@dataclass(frozen=True)
class Resolution:
    """One row per identifier (with its person and provenance) and one row per refused edge."""

    identifiers: pd.DataFrame
    refused_edges: pd.DataFrame


def identifier_key(identifier_type: str, identifier_value: str) -> str:
    """The graph key of an identifier: type and value, so equal values of different types never meet."""
    return f"{identifier_type}:{identifier_value}"


def person_id_for(anchor_key: str) -> str:
    """A person id derived from the person's anchor identifier only, so it does not churn between runs."""
    return "p_" + hashlib.sha256(anchor_key.encode("utf-8")).hexdigest()[:16]


def validate_caps(caps: Mapping[str, int] | None) -> dict[str, int]:
    """Caps for every identifier type (defaults filled in); each must allow at least one identifier."""
    merged = {**DEFAULT_CAPS, **{k: int(v) for k, v in (caps or {}).items()}}
    unknown = set(merged) - set(IDENTIFIER_TYPES)
    if unknown:
        raise ValueError(f"caps for unknown identifier types: {sorted(unknown)}")
    out_of_range = {k: v for k, v in merged.items() if not 1 <= v <= 100_000}
    if out_of_range:
        raise ValueError(f"caps must be >= 1 and <= 100000: {out_of_range}")
    return merged


def _check_edges(edges: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise ValueError(f"edges lack columns {missing}")
    edges = edges.copy()
    if "is_blocked" not in edges.columns:
        edges["is_blocked"] = False
    edges["is_blocked"] = edges["is_blocked"].fillna(False).astype(bool)
    edges["n_observations"] = edges["n_observations"].fillna(1).astype("int64")
    for side in ("left", "right"):
        types = edges[f"{side}_type"].dropna().unique()
        unknown = set(types) - set(IDENTIFIER_TYPES)
        if unknown:
            raise ValueError(f"unknown identifier types in {side}_type: {sorted(unknown)}")
    if edges["left_type"].isna().any() or edges["left_value"].isna().any():
        raise ValueError("every edge row needs a left identifier")
    if (edges["is_blocked"] & edges["right_type"].notna()).any():
        raise ValueError("is_blocked marks an identifier seen alone: a blocked row must have no right side")
    return edges


def _endpoints(edges: pd.DataFrame) -> pd.DataFrame:
    """Every (identifier, row) incidence, both sides of each edge stacked."""
    parts = []
    for side in ("left", "right"):
        part = edges[[f"{side}_type", f"{side}_value", "first_seen_at", "last_seen_at", "is_blocked"]]
        part = part.rename(columns={f"{side}_type": "identifier_type", f"{side}_value": "identifier_value"})
        if side == "right":
            part = part.assign(is_blocked=False)  # a blocked flag names the left (only) identifier
        parts.append(part.dropna(subset=["identifier_type", "identifier_value"]))
    return pd.concat(parts, ignore_index=True)


def _node_table(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per identifier, sorted by (type priority, value): the row number is its code and anchor rank."""
    endpoints = _endpoints(edges)
    nodes = endpoints.groupby(["identifier_type", "identifier_value"], sort=False, observed=True).agg(
        first_seen_at=("first_seen_at", "min"),
        last_seen_at=("last_seen_at", "max"),
        is_blocked=("is_blocked", "max"),
    )
    nodes = nodes.reset_index()
    nodes["type_rank"] = nodes["identifier_type"].map({t: i for i, t in enumerate(IDENTIFIER_TYPES)})
    nodes["type_rank"] = nodes["type_rank"].astype("int64")
    nodes["identifier_value"] = nodes["identifier_value"].astype(str)
    nodes = nodes.sort_values(["type_rank", "identifier_value"], kind="mergesort", ignore_index=True)
    nodes["identifier_key"] = nodes["identifier_type"].astype(str) + ":" + nodes["identifier_value"]
    return nodes


def _ranked_pairs(edges: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Distinct identifier pairs in processing order, each with its strongest source as provenance.

    Order: record links before device links, then more observations, then seen earlier, then by key, so
    the outcome never depends on row order and the best-evidenced link wins a contested identifier.
    """
    code_of = pd.Series(np.arange(len(nodes)), index=nodes["identifier_key"].to_numpy())
    links = edges[edges["right_type"].notna() & edges["right_value"].notna()]
    left_key = links["left_type"].astype(str) + ":" + links["left_value"].astype(str)
    right_key = links["right_type"].astype(str) + ":" + links["right_value"].astype(str)
    a = code_of.reindex(left_key.to_numpy()).to_numpy()
    b = code_of.reindex(right_key.to_numpy()).to_numpy()
    pairs = pd.DataFrame(
        {
            "lo": np.minimum(a, b).astype("int64"),
            "hi": np.maximum(a, b).astype("int64"),
            "edge_source": links["edge_source"].astype(str).to_numpy(),
            "n_observations": links["n_observations"].to_numpy(),
            "first_seen_at": links["first_seen_at"].to_numpy(),
            "last_seen_at": links["last_seen_at"].to_numpy(),
        }
    )
    pairs = pairs[pairs["lo"] != pairs["hi"]]
    by_evidence = pairs.sort_values(
        ["lo", "hi", "n_observations", "edge_source"], ascending=[True, True, False, True], kind="mergesort"
    )
    grouped = by_evidence.groupby(["lo", "hi"], sort=False)
    ranked = grouped.agg(
        edge_source=("edge_source", "first"),
        n_observations=("n_observations", "sum"),
        first_seen_at=("first_seen_at", "min"),
        last_seen_at=("last_seen_at", "max"),
    ).reset_index()
    is_device = nodes["identifier_type"].isin(DEVICE_TYPES).to_numpy()
    ranked["tier"] = (is_device[ranked["lo"].to_numpy()] | is_device[ranked["hi"].to_numpy()]).astype("int64")
    ranked = ranked.sort_values(
        ["tier", "n_observations", "first_seen_at", "lo", "hi"],
        ascending=[True, False, True, True, True],
        na_position="last",
        kind="mergesort",
        ignore_index=True,
    )
    return ranked


def union_with_caps(
    node_type: np.ndarray, lo: np.ndarray, hi: np.ndarray, caps: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Union-find over edges in the given order, refusing unions that break a per-type cap.

    node_type[i] indexes `caps`. Returns (root of every node, refused cap type per edge or -1 if accepted).
    """
    if any(not 1 <= cap < 1 << (_FIELD_BITS - 2) for cap in caps):
        raise ValueError(f"caps must lie in [1, {1 << (_FIELD_BITS - 2)})")
    # Per-type counts of a person packed into one int, a bit field per type, so one addition merges them
    # and one mask tests every cap: field + (guard - 1 - cap) reaches the field's guard bit iff it > cap.
    # No carry crosses fields because every person already respects the caps (so a sum is <= 2 * cap).
    guard = sum(1 << (_FIELD_BITS * t + _FIELD_BITS - 1) for t in range(len(caps)))
    offset = sum(((1 << (_FIELD_BITS - 1)) - 1 - cap) << (_FIELD_BITS * t) for t, cap in enumerate(caps))
    packed = [1 << (_FIELD_BITS * t) for t in node_type.tolist()]
    parent = list(range(len(node_type)))
    size = [1] * len(node_type)
    refused = [-1] * len(lo)
    for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a == b:
            continue
        merged = packed[a] + packed[b]
        broken = (merged + offset) & guard
        if broken:
            refused[i] = ((broken & -broken).bit_length() - 1) // _FIELD_BITS  # highest-priority broken type
            continue
        if size[a] < size[b]:
            a, b = b, a
        parent[b] = a
        size[a] += size[b]
        packed[a] = merged
    roots = np.asarray(parent, dtype="int64")
    while True:  # pointer jumping finishes path compression for every node at once
        grand = roots[roots]
        if np.array_equal(grand, roots):
            break
        roots = grand
    return roots, np.asarray(refused, dtype="int64")


def _parents_in_forest(n_nodes: int, lo: np.ndarray, hi: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Each node's neighbour on its path to its anchor through accepted edges (-1 for anchors)."""
    root = n_nodes  # a virtual node joined to every anchor, so one traversal covers every person
    rows = np.concatenate([lo, np.full(len(anchors), root)])
    cols = np.concatenate([hi, anchors])
    graph = coo_matrix((np.ones(len(rows), dtype="int8"), (rows, cols)), shape=(n_nodes + 1, n_nodes + 1))
    _, predecessors = breadth_first_order(graph.tocsr(), root, directed=False, return_predecessors=True)
    parents = predecessors[:n_nodes].astype("int64")
    parents[parents == root] = -1
    return parents


def _graph(edges: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(resolvable identifiers in code order, blocked identifiers, ranked pairs between resolvable ones)."""
    edges = _check_edges(edges)
    all_nodes = _node_table(edges)
    blocked_keys = set(all_nodes.loc[all_nodes["is_blocked"], "identifier_key"])
    if blocked_keys:
        left_key = edges["left_type"].astype(str) + ":" + edges["left_value"].astype(str)
        right_key = edges["right_type"].astype(str) + ":" + edges["right_value"].astype(str)
        touches_blocked = left_key.isin(blocked_keys) | (edges["right_type"].notna() & right_key.isin(blocked_keys))
        edges = edges[~touches_blocked]
    nodes = all_nodes[~all_nodes["is_blocked"]].reset_index(drop=True)
    blocked = all_nodes[all_nodes["is_blocked"]].reset_index(drop=True)
    return nodes, blocked, _ranked_pairs(edges, nodes)


def resolve_identities(edges: pd.DataFrame, caps: Mapping[str, int] | None = None) -> Resolution:
    """Resolve identifier edges into persons: ids, merge provenance and the edges refused by the caps.

    `edges` has EDGE_COLUMNS (right side null for an identifier seen alone) and optionally `is_blocked`
    (true on rows naming a blocklisted identifier: it gets no person and links nothing).
    """
    cap_of = validate_caps(caps)
    nodes, blocked, pairs = _graph(edges)
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    caps_by_rank = tuple(cap_of[t] for t in IDENTIFIER_TYPES)
    roots, _ = union_with_caps(nodes["type_rank"].to_numpy(), lo, hi, caps_by_rank)

    n_nodes = len(nodes)
    codes = np.arange(n_nodes, dtype="int64")
    anchor_of_root = np.full(n_nodes, n_nodes, dtype="int64")
    np.minimum.at(anchor_of_root, roots, codes)  # codes are priority-sorted: the minimum is the anchor
    anchor = anchor_of_root[roots]
    keys = nodes["identifier_key"].to_numpy()
    anchors = np.flatnonzero(anchor == codes)
    person_of_anchor = {int(c): person_id_for(str(keys[c])) for c in anchors}
    person_id = np.asarray([person_of_anchor[int(c)] for c in anchor], dtype=object)

    # an edge left between two persons is exactly a refused one: persons only grow, so a union refused
    # once would break the same cap later
    accepted = anchor[lo] == anchor[hi]
    parents = _parents_in_forest(n_nodes, lo[accepted], hi[accepted], anchors)
    source_of_pair = pd.Series(
        pairs.loc[accepted, "edge_source"].to_numpy(),
        index=pd.MultiIndex.from_arrays([lo[accepted], hi[accepted]]),
    )
    child = np.flatnonzero(parents >= 0)
    via_source = np.full(n_nodes, None, dtype=object)
    via_identifier = np.full(n_nodes, None, dtype=object)
    if len(child):
        pair_index = pd.MultiIndex.from_arrays([np.minimum(child, parents[child]), np.maximum(child, parents[child])])
        via_source[child] = source_of_pair.reindex(pair_index).to_numpy()
        via_identifier[child] = keys[parents[child]]
    n_refused = np.bincount(np.concatenate([lo[~accepted], hi[~accepted]]), minlength=n_nodes)

    resolved = pd.DataFrame(
        {
            "identifier_type": nodes["identifier_type"].astype(str),
            "identifier_value": nodes["identifier_value"],
            "person_id": person_id,
            "is_person_anchor": anchor == codes,
            "attached_via_edge_source": via_source,
            "attached_via_identifier": via_identifier,
            "is_blocked": False,
            "n_refused_edges": n_refused[:n_nodes].astype("int64"),
            "first_seen_at": nodes["first_seen_at"],
            "last_seen_at": nodes["last_seen_at"],
        }
    )
    no_person = np.full(len(blocked), None, dtype=object)
    blocked_rows = pd.DataFrame(
        {
            "identifier_type": blocked["identifier_type"].astype(str),
            "identifier_value": blocked["identifier_value"],
            "person_id": no_person,
            "is_person_anchor": False,
            "attached_via_edge_source": no_person,
            "attached_via_identifier": no_person,
            "is_blocked": True,
            "n_refused_edges": 0,
            "first_seen_at": blocked["first_seen_at"],
            "last_seen_at": blocked["last_seen_at"],
        }
    )
    frames = [frame for frame in (resolved, blocked_rows) if len(frame)]
    identifiers = pd.concat(frames, ignore_index=True) if frames else resolved
    identifiers = identifiers[list(IDENTIFIER_COLUMNS)]
    refused = _refused_table(pairs, nodes, person_id, cap_of)
    return Resolution(identifiers=identifiers, refused_edges=refused)


def refused_edges(
    edges: pd.DataFrame, identifiers: pd.DataFrame, caps: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """The refused edges of a finished resolution, rebuilt from its edges and identifiers without re-running it.

    Same rows as resolve_identities(edges, caps).refused_edges, for a pipeline that stores the two apart.
    """
    cap_of = validate_caps(caps)
    nodes, _, pairs = _graph(edges)
    resolved = identifiers[identifiers["person_id"].notna()]
    person_of_key = pd.Series(
        resolved["person_id"].to_numpy(dtype=object),
        index=(resolved["identifier_type"].astype(str) + ":" + resolved["identifier_value"].astype(str)).to_numpy(),
    )
    person_id = person_of_key.reindex(nodes["identifier_key"].to_numpy()).to_numpy(dtype=object)
    if pd.isna(person_id).any():
        raise ValueError("identifiers do not cover every identifier of the edges")
    return _refused_table(pairs, nodes, person_id, cap_of)


def _refused_table(
    pairs: pd.DataFrame, nodes: pd.DataFrame, person_id: np.ndarray, cap_of: Mapping[str, int]
) -> pd.DataFrame:
    """Pairs whose ends belong to different persons, with the highest-priority cap the two persons break."""
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    is_refused = person_id[lo] != person_id[hi]
    refused = pairs[is_refused]
    lo, hi = lo[is_refused], hi[is_refused]
    person_code, _ = pd.factorize(person_id)
    type_rank = nodes["type_rank"].to_numpy()
    counts = np.zeros((person_code.max() + 1 if len(person_code) else 0, len(IDENTIFIER_TYPES)), dtype="int64")
    np.add.at(counts, (person_code, type_rank), 1)
    combined = counts[person_code[lo]] + counts[person_code[hi]]
    broken = combined > np.asarray([cap_of[t] for t in IDENTIFIER_TYPES])
    types = nodes["identifier_type"].astype(str).to_numpy()
    values = nodes["identifier_value"].to_numpy()
    table = pd.DataFrame(
        {
            "left_type": types[lo],
            "left_value": values[lo],
            "right_type": types[hi],
            "right_value": values[hi],
            "edge_source": refused["edge_source"].to_numpy(),
            "n_observations": refused["n_observations"].to_numpy(),
            "first_seen_at": refused["first_seen_at"].to_numpy(),
            "last_seen_at": refused["last_seen_at"].to_numpy(),
            "refused_cap_type": np.where(
                broken.any(axis=1), np.asarray(IDENTIFIER_TYPES, dtype=object)[broken.argmax(axis=1)], None
            ),
            "left_person_id": person_id[lo],
            "right_person_id": person_id[hi],
        }
    )
    return table[list(REFUSED_COLUMNS)].reset_index(drop=True)
