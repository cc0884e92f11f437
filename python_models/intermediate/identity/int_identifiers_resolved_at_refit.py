"""The identity map as known at the recommender's refit instant (tailor.identity.identities_known_before): the
refit trains, fingerprints and scores persons by it, so merges seen after the refit do not change its input."""

import pandas as pd

from tailor.frames import read_frame
from tailor.identity import IdentitySettings, identities_known_before


def model(dbt, session):
    caps = IdentitySettings.from_mapping(dbt.config.meta_get("settings")).caps
    refit_at = read_frame(dbt.ref("int_recommendation_refit_planned"))["refit_at"]
    edges = dbt.ref("int_identity_edges")
    retained = dbt.ref("int_identifiers_retained").select("identifier_type", "identifier_value")
    return identities_known_before(read_frame(edges), pd.Timestamp(refit_at.iloc[0]), read_frame(retained), caps)
