"""Identity edges refused by the per-person caps, kept for audit (logic in tailor.identity)."""

from tailor.identity import refused_edges


def model(dbt, session):
    dbt.config(materialized="table")
    caps = {
        "user_id": dbt.config.meta_get("identity_cap_user_id"),
        "email_hash": dbt.config.meta_get("identity_cap_email_hash"),
        "crm_contact_id": dbt.config.meta_get("identity_cap_crm_contact_id"),
        "anonymous_id": dbt.config.meta_get("identity_cap_anonymous_id"),
    }
    edges = dbt.ref("int_identity_edges").df()
    identifiers = dbt.ref("int_identifiers_resolved").df()
    return refused_edges(edges, identifiers, caps)
