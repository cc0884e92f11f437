"""Identity edges refused by the per-person caps, kept for audit (logic in tailor.identity).

Only the components that break a cap hold refused edges, and each of their persons has an identifier on one,
so the audit reads the edge rows of those persons (int_identity_edges_contested) and their identifiers, not
the whole graph (at scale l 22,006 of 8.75M edge rows: 2.2 s instead of 40 s, 1.2 instead of 8.9 GB).
"""

from tailor.frames import read_frame
from tailor.identity import IdentitySettings, refused_edges


def model(dbt, session):
    caps = IdentitySettings.from_mapping(dbt.config.meta_get("settings")).caps
    edges = read_frame(dbt.ref("int_identity_edges_contested"))
    resolved = dbt.ref("int_identifiers_resolved")
    split_persons = resolved.filter("n_refused_edges > 0").select("person_id").distinct().set_alias("split_persons")
    identifiers = read_frame(
        resolved.join(split_persons, "person_id").select("identifier_type", "identifier_value", "person_id")
    )
    refused = refused_edges(edges, identifiers, caps)
    # refusals that touch an erased person's identifier are not kept (int_erasure_tombstones)
    tombstones = read_frame(dbt.ref("int_erasure_tombstones"))
    erased = set(tombstones["tombstone_id"])
    left = refused["left_type"] + ":" + refused["left_value"]
    right = refused["right_type"] + ":" + refused["right_value"]
    return refused[~(left.isin(erased) | right.isin(erased))]
