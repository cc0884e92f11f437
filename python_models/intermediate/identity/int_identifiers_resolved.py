"""Every identifier resolved to a person, with merge provenance (logic in tailor.identity)."""

from tailor.frames import read_frame
from tailor.identity import resolve_identities


def model(dbt, session):
    caps = {
        "user_id": dbt.config.meta_get("identity_cap_user_id"),
        "email_hash": dbt.config.meta_get("identity_cap_email_hash"),
        "crm_contact_id": dbt.config.meta_get("identity_cap_crm_contact_id"),
        "anonymous_id": dbt.config.meta_get("identity_cap_anonymous_id"),
    }
    return resolve_identities(read_frame(dbt.ref("int_identity_edges")), caps).identifiers
