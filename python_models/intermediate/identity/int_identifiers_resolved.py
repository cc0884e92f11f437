"""Every identifier resolved to a person, with merge provenance (logic in tailor.identity)."""

from tailor.frames import read_frame
from tailor.identity import IdentitySettings, resolve_identities


def model(dbt, session):
    caps = IdentitySettings.from_mapping(dbt.config.meta_get("settings")).caps
    return resolve_identities(read_frame(dbt.ref("int_identity_edges")), caps).identifiers
