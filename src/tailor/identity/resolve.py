"""Identity resolution: connected components over identifier edges, with per-type caps against over-merging.

Edges are processed in a fixed priority order (deterministic person-level links first, then device links by
evidence), and a union that would give one person more identifiers of a type than its cap is refused and
recorded, the guard warehouse-native CDPs use against shared devices and shared inboxes.

Only the few components that would break a cap need that sequential pass: caps are monotone, so in any
other component every union is accepted whatever the order, and plain connected components (vectorized)
give the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from tailor.settings import parse_settings

# Priority order: the first type present in a person names it (its anchor) and outranks the rest.
IDENTIFIER_TYPES: tuple[str, ...] = ("user_id", "email_hash", "crm_contact_id", "anonymous_id")


@dataclass(frozen=True)
class IdentitySettings:
    """The `identity` var: the most identifiers of each type one person may hold. A link that would exceed a
    cap (a shared device, a shared inbox) is refused and kept in int_identity_edges_refused."""

    cap_user_id: int = 1
    cap_email_hash: int = 2
    cap_crm_contact_id: int = 3
    cap_anonymous_id: int = 25

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | str | None) -> IdentitySettings:
        """The settings from the `identity` var (a mapping or its JSON), strictly."""
        return parse_settings(cls, values, "identity")

    @property
    def caps(self) -> dict[str, int]:
        """{identifier type: cap}, as resolve_identities takes them."""
        return {kind: getattr(self, f"cap_{kind}") for kind in IDENTIFIER_TYPES}


DEFAULT_CAPS: dict[str, int] = IdentitySettings().caps
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
    """Validated edges with plain object-dtype text columns (cheaper to hash and compare than Arrow text)."""
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise ValueError(f"edges lack columns {missing}")
    is_blocked = edges["is_blocked"] if "is_blocked" in edges.columns else pd.Series(False, index=edges.index)
    checked = pd.DataFrame(
        {
            **{c: _as_text(edges[c]) for c in ("left_type", "left_value", "right_type", "right_value", "edge_source")},
            "first_seen_at": pd.to_datetime(edges["first_seen_at"]).to_numpy(),
            "last_seen_at": pd.to_datetime(edges["last_seen_at"]).to_numpy(),
            "n_observations": edges["n_observations"].fillna(1).astype("int64").to_numpy(),
            "is_blocked": is_blocked.fillna(False).astype(bool).to_numpy(),
        }
    )
    for side in ("left", "right"):
        unknown = set(checked[f"{side}_type"].dropna().unique()) - set(IDENTIFIER_TYPES)
        if unknown:
            raise ValueError(f"unknown identifier types in {side}_type: {sorted(unknown)}")
    if checked["left_type"].isna().any() or checked["left_value"].isna().any():
        raise ValueError("every edge row needs a left identifier")
    if (checked["is_blocked"] & checked["right_type"].notna()).any():
        raise ValueError("is_blocked marks an identifier seen alone: a blocked row must have no right side")
    return checked


def _as_text(column: pd.Series) -> pd.Series:
    """Text as an object-dtype Series (None for missing)."""
    return pd.Series(np.array(column.to_numpy(dtype=object, na_value=None), dtype=object), dtype=object)


@dataclass(frozen=True)
class _Graph:
    """Identifiers coded in priority order (type, then value: code order is anchor order) and their links."""

    types: np.ndarray  # object: identifier_type per code
    values: np.ndarray  # object: identifier_value per code
    type_rank: np.ndarray  # index into IDENTIFIER_TYPES per code
    first_seen_at: np.ndarray
    last_seen_at: np.ndarray
    is_blocked: np.ndarray
    pairs: pd.DataFrame  # distinct links lo < hi between unblocked identifiers, with their evidence
    component: np.ndarray  # connected component of every identifier, caps ignored

    def keys(self, codes: np.ndarray) -> np.ndarray:
        """'type:value' keys of the given codes."""
        return self.types[codes] + ":" + self.values[codes]


def _encode(types: pd.Series, values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code every (type, value) incidence so that code order is (type priority, value) order.

    Values are factorized per type, sorted, so no 'type:value' strings are built. Returns the code per
    incidence, the type rank per code and the value per code.
    """
    codes = np.full(len(values), -1, dtype="int64")
    type_code, type_names = pd.factorize(types.to_numpy())
    ranks, uniques_by_type = [], []
    offset = 0
    for rank, identifier_type in enumerate(IDENTIFIER_TYPES):
        is_type = type_code == (list(type_names).index(identifier_type) if identifier_type in type_names else -2)
        type_codes, uniques = pd.factorize(values[is_type].to_numpy(), sort=True)
        codes[is_type] = type_codes + offset
        ranks.append(np.full(len(uniques), rank, dtype="int64"))
        uniques_by_type.append(np.asarray(uniques, dtype=object))
        offset += len(uniques)
    return codes, np.concatenate(ranks), np.concatenate(uniques_by_type)


def _graph(edges: pd.DataFrame) -> _Graph:
    edges = _check_edges(edges)
    n_rows = len(edges)
    has_right = (edges["right_type"].notna() & edges["right_value"].notna()).to_numpy()
    types = pd.concat([edges["left_type"], edges["right_type"][has_right]], ignore_index=True)
    values = pd.concat([edges["left_value"], edges["right_value"][has_right]], ignore_index=True)
    codes, type_rank, node_values = _encode(types, values)
    incidences = pd.DataFrame(
        {
            "code": codes,
            "first_seen_at": np.concatenate([edges["first_seen_at"], edges["first_seen_at"][has_right]]),
            "last_seen_at": np.concatenate([edges["last_seen_at"], edges["last_seen_at"][has_right]]),
            "is_blocked": np.concatenate([edges["is_blocked"], np.zeros(int(has_right.sum()), bool)]),
        }
    )
    seen = incidences.groupby("code", sort=True).agg(
        first_seen_at=("first_seen_at", "min"), last_seen_at=("last_seen_at", "max"), is_blocked=("is_blocked", "max")
    )
    is_blocked = seen["is_blocked"].to_numpy()

    left, right = codes[:n_rows][has_right], codes[n_rows:]
    keep = ~is_blocked[left] & ~is_blocked[right] & (left != right)
    links = edges[has_right][keep]
    pairs = _distinct_pairs(np.minimum(left, right)[keep], np.maximum(left, right)[keep], links)
    n_nodes = len(node_values)
    adjacency = coo_matrix(
        (np.ones(len(pairs), dtype="int8"), (pairs["lo"].to_numpy(), pairs["hi"].to_numpy())), shape=(n_nodes, n_nodes)
    )
    _, component = connected_components(adjacency, directed=False)
    return _Graph(
        types=np.asarray(IDENTIFIER_TYPES, dtype=object)[type_rank],
        values=node_values,
        type_rank=type_rank,
        first_seen_at=seen["first_seen_at"].to_numpy(),
        last_seen_at=seen["last_seen_at"].to_numpy(),
        is_blocked=is_blocked,
        pairs=pairs,
        component=component.astype("int64"),
    )


def _distinct_pairs(lo: np.ndarray, hi: np.ndarray, links: pd.DataFrame) -> pd.DataFrame:
    """One row per identifier pair; its provenance is the source with the most observations of it."""
    source_code, sources = pd.factorize(links["edge_source"].to_numpy(), sort=True)
    n_observations = links["n_observations"].to_numpy()
    order = np.lexsort((source_code, -n_observations, hi, lo))
    by_evidence = pd.DataFrame(
        {
            "lo": lo[order],
            "hi": hi[order],
            "source_code": source_code[order],
            "n_observations": n_observations[order],
            "first_seen_at": links["first_seen_at"].to_numpy()[order],
            "last_seen_at": links["last_seen_at"].to_numpy()[order],
        }
    )
    pairs = (
        by_evidence.groupby(["lo", "hi"], sort=False)
        .agg(
            source_code=("source_code", "first"),
            n_observations=("n_observations", "sum"),
            first_seen_at=("first_seen_at", "min"),
            last_seen_at=("last_seen_at", "max"),
        )
        .reset_index()
    )
    pairs["edge_source"] = pd.Series(np.asarray(sources, dtype=object)[pairs["source_code"].to_numpy()], dtype=object)
    return pairs.drop(columns="source_code")


def _processing_order(pairs: pd.DataFrame, graph_types: np.ndarray) -> np.ndarray:
    """Positions of `pairs` in the order unions are tried.

    Record links before device links, then more observations, then seen earlier, then by code, so the
    outcome never depends on row order and the best-evidenced link wins a contested identifier.
    """
    is_device = pd.Series(graph_types).isin(DEVICE_TYPES).to_numpy()
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    keys = pd.DataFrame(
        {
            "tier": (is_device[lo] | is_device[hi]).astype("int64"),
            "n_observations": pairs["n_observations"].to_numpy(),
            "first_seen_at": pairs["first_seen_at"].to_numpy(),
            "lo": lo,
            "hi": hi,
        }
    )
    ranked = keys.sort_values(
        ["tier", "n_observations", "first_seen_at", "lo", "hi"],
        ascending=[True, False, True, True, True],
        na_position="last",
        kind="mergesort",
    )
    return ranked.index.to_numpy()


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


def _parents_towards_anchor(n_nodes: int, lo: np.ndarray, hi: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Each node's neighbour on a shortest path to its anchor through accepted edges (-1 for anchors).

    Breadth-first from every anchor at once; ties go to the neighbour met first in code order, which an
    unrelated person's identifiers never change.
    """
    root = n_nodes  # a virtual node joined to every anchor, so one traversal covers every person
    rows = np.concatenate([lo, np.full(len(anchors), root)])
    cols = np.concatenate([hi, anchors])
    graph = coo_matrix((np.ones(len(rows), dtype="int8"), (rows, cols)), shape=(n_nodes + 1, n_nodes + 1))
    _, predecessors = breadth_first_order(graph.tocsr(), root, directed=False, return_predecessors=True)
    parents = predecessors[:n_nodes].astype("int64")
    parents[parents == root] = -1
    return parents


def _breaks_cap(graph: _Graph, caps_by_rank: tuple[int, ...]) -> np.ndarray:
    """Per identifier: does its component (caps ignored) hold more identifiers of some type than the cap?"""
    n_components = int(graph.component.max()) + 1 if len(graph.component) else 0
    counts = np.zeros((n_components, len(caps_by_rank)), dtype="int64")
    np.add.at(counts, (graph.component, graph.type_rank), 1)
    return (counts > np.asarray(caps_by_rank)).any(axis=1)[graph.component]


def _person_labels(graph: _Graph, caps_by_rank: tuple[int, ...]) -> np.ndarray:
    """A person label per identifier: its component, unless the component breaks a cap and must be split."""
    labels = graph.component.copy()
    suspects = _breaks_cap(graph, caps_by_rank)
    members = np.flatnonzero(suspects)
    if not len(members):
        return labels
    pairs = graph.pairs
    inside = pairs[suspects[pairs["lo"].to_numpy()]]
    inside = inside.take(_processing_order(inside, graph.types))
    local = np.full(len(labels), -1, dtype="int64")
    local[members] = np.arange(len(members))
    roots, _ = union_with_caps(
        graph.type_rank[members], local[inside["lo"].to_numpy()], local[inside["hi"].to_numpy()], caps_by_rank
    )
    labels[members] = len(labels) + members[roots]  # a fresh label per surviving root
    return labels


def resolve_identities(edges: pd.DataFrame, caps: Mapping[str, int] | None = None) -> Resolution:
    """Resolve identifier edges into persons: ids, merge provenance and the edges refused by the caps.

    `edges` has EDGE_COLUMNS (right side null for an identifier seen alone) and optionally `is_blocked`
    (true on rows naming a blocklisted identifier: it gets no person and links nothing).
    """
    cap_of = validate_caps(caps)
    graph = _graph(edges)
    pairs = graph.pairs
    labels = _person_labels(graph, tuple(cap_of[t] for t in IDENTIFIER_TYPES))

    n_nodes = len(labels)
    codes = np.arange(n_nodes, dtype="int64")
    anchor_of_label = np.full(int(labels.max()) + 1 if n_nodes else 0, n_nodes, dtype="int64")
    np.minimum.at(anchor_of_label, labels, codes)  # codes are priority-sorted: the minimum is the anchor
    anchor = anchor_of_label[labels]
    is_anchor = (anchor == codes) & ~graph.is_blocked
    anchors = np.flatnonzero(is_anchor)
    person_of_code = np.full(n_nodes, None, dtype=object)
    person_of_code[anchors] = [person_id_for(key) for key in graph.keys(anchors)]
    person_id = person_of_code[anchor]

    # an edge left between two persons is exactly a refused one: persons only grow, so a union refused
    # once would break the same cap later
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    accepted = anchor[lo] == anchor[hi]
    parents = _parents_towards_anchor(n_nodes, lo[accepted], hi[accepted], anchors)
    child = np.flatnonzero(parents >= 0)
    via_source = np.full(n_nodes, None, dtype=object)
    via_identifier = np.full(n_nodes, None, dtype=object)
    if len(child):
        pair_key = pd.Index(lo[accepted] * n_nodes + hi[accepted])
        child_key = np.minimum(child, parents[child]) * n_nodes + np.maximum(child, parents[child])
        via_source[child] = pairs["edge_source"].to_numpy()[accepted][pair_key.get_indexer(child_key)]
        via_identifier[child] = graph.keys(parents[child])
    n_refused = np.bincount(np.concatenate([lo[~accepted], hi[~accepted]]), minlength=n_nodes)

    identifiers = pd.DataFrame(
        {
            "identifier_type": graph.types,
            "identifier_value": graph.values,
            "person_id": person_id,
            "is_person_anchor": is_anchor,
            "attached_via_edge_source": via_source,
            "attached_via_identifier": via_identifier,
            "is_blocked": graph.is_blocked,
            "n_refused_edges": n_refused.astype("int64"),
            "first_seen_at": graph.first_seen_at,
            "last_seen_at": graph.last_seen_at,
        }
    )
    # resolvable identifiers first, blocked ones after, each in priority order
    identifiers = identifiers.sort_values("is_blocked", kind="mergesort", ignore_index=True)
    refused = _refused_table(graph, pairs[~accepted], labels, person_id, cap_of)
    return Resolution(identifiers=identifiers[list(IDENTIFIER_COLUMNS)], refused_edges=refused)


def refused_edges(
    edges: pd.DataFrame, identifiers: pd.DataFrame, caps: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """The refused edges of a finished resolution, rebuilt from its edges and identifiers without re-running it.

    Same rows as resolve_identities(edges, caps).refused_edges, for a pipeline that stores the two apart.
    Only components that break a cap can hold a refused edge, so only their identifiers are looked up.
    """
    cap_of = validate_caps(caps)
    graph = _graph(edges)
    suspects = _breaks_cap(graph, tuple(cap_of[t] for t in IDENTIFIER_TYPES))
    suspect_codes = np.flatnonzero(suspects)
    suspect_keys = graph.keys(suspect_codes)
    resolved = identifiers[identifiers["person_id"].notna()]
    resolved_keys = (
        resolved["identifier_type"].astype(str) + ":" + resolved["identifier_value"].astype(str)
    ).to_numpy()
    wanted = pd.Index(suspect_keys).get_indexer(resolved_keys) >= 0
    person_of_key = pd.Series(resolved["person_id"].to_numpy(dtype=object)[wanted], index=resolved_keys[wanted])
    person_id = np.full(len(suspects), None, dtype=object)
    person_id[suspect_codes] = person_of_key.reindex(suspect_keys).to_numpy(dtype=object)
    if pd.isna(person_id[suspect_codes]).any():
        raise ValueError("identifiers do not cover every identifier of the edges")
    labels = np.full(len(suspects), -1, dtype="int64")
    labels[suspect_codes] = pd.factorize(person_id[suspect_codes])[0]
    pairs = graph.pairs
    lo, hi = pairs["lo"].to_numpy(), pairs["hi"].to_numpy()
    refused = pairs[suspects[lo] & (labels[lo] != labels[hi])]
    return _refused_table(graph, refused, labels, person_id, cap_of)


def _refused_table(
    graph: _Graph, refused: pd.DataFrame, labels: np.ndarray, person_id: np.ndarray, cap_of: Mapping[str, int]
) -> pd.DataFrame:
    """The refused pairs, with the highest-priority cap their two persons together break."""
    lo, hi = refused["lo"].to_numpy(), refused["hi"].to_numpy()
    involved = pd.Index(np.unique(np.concatenate([labels[lo], labels[hi]]))).get_indexer(labels) >= 0
    label_code, involved_labels = pd.factorize(labels[involved])
    counts = np.zeros((len(involved_labels), len(IDENTIFIER_TYPES)), dtype="int64")
    np.add.at(counts, (label_code, graph.type_rank[involved]), 1)
    index = pd.Index(involved_labels)
    combined = counts[index.get_indexer(labels[lo])] + counts[index.get_indexer(labels[hi])]
    broken = combined > np.asarray([cap_of[t] for t in IDENTIFIER_TYPES])
    table = pd.DataFrame(
        {
            "left_type": graph.types[lo],
            "left_value": graph.values[lo],
            "right_type": graph.types[hi],
            "right_value": graph.values[hi],
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
    return table[list(REFUSED_COLUMNS)]


KNOWN_IDENTITY_COLUMNS: tuple[str, ...] = ("identifier_type", "identifier_value", "person_id")


def identities_known_before(
    edges: pd.DataFrame,
    instant: pd.Timestamp,
    retained: pd.DataFrame,
    caps: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Each identifier's person as the identity graph knew it before `instant`: `resolve_identities` on the
    edges first known (`first_known_at`, when the first record showing them arrived) before it, limited to
    the identifiers `retained` today (identifier_type, identifier_value; erased persons' identifiers are
    not), identifiers without a person left out.

    Merges (and splits) that arrive from `instant` on do not change it, late records of earlier activity
    included, so a model fitted on persons as of an instant (the recommender's refit) reads the same grouping
    on every later build. Person ids come from the anchors exactly as today's map does, so a person whose
    identifiers did not change since has the same id."""
    if "first_known_at" not in edges.columns:
        raise ValueError("edges lack column first_known_at (when the first record showing each edge arrived)")
    known = edges.loc[pd.to_datetime(edges["first_known_at"]) < pd.Timestamp(instant)]
    identifiers = resolve_identities(known.reset_index(drop=True), caps).identifiers
    identifiers = identifiers.loc[identifiers["person_id"].notna(), list(KNOWN_IDENTITY_COLUMNS)]
    keys = retained[["identifier_type", "identifier_value"]].astype(object).drop_duplicates()
    kept = identifiers.merge(keys, on=["identifier_type", "identifier_value"], how="inner", sort=False)
    return kept.sort_values(["identifier_type", "identifier_value"], kind="mergesort", ignore_index=True)
