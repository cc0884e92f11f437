"""Top-N recommendations for every person: hybrid of the stored factors and content, with popularity
fallbacks and the business rules (tailor.recommend). Rows scored at the planned refit are kept; persons
whose data changed since are folded in and rescored with today's data (tailor.recommend.refresh).
Incremental: a build that keeps the fit reads the stored rows (the columns that vary by row) and replaces
the table whole."""

from tailor.frames import read_frame
from tailor.recommend.refresh import rows_on_fit_sql
from tailor.recommend.refresh_model import ScoredInputs, rows_between_refits
from tailor.recommend.settings import RecsSettings


def model(dbt, session):
    settings = RecsSettings.from_mapping(dbt.config.meta_get("settings"))
    inputs = ScoredInputs(
        plan=dbt.ref("int_recommendation_refit_planned"),
        fingerprint=dbt.ref("int_recommendation_refit_fingerprinted"),
        factors=dbt.ref("int_recommendation_factors_fitted"),
        changed_persons=dbt.ref("int_recommendation_persons_changed"),
        interactions_refit=dbt.ref("int_recommendation_interactions_refit"),
        items_refit=dbt.ref("int_recommendation_items_refit"),
        persons_refit=dbt.ref("int_recommendation_persons_refit"),
        interactions=dbt.ref("int_recommendation_interactions_prepared"),
        items=dbt.ref("int_recommendation_items_prepared"),
        persons=dbt.ref("int_recommendation_persons_prepared"),
    )

    def stored_rows(fit: str):
        return read_frame(session.sql(rows_on_fit_sql(str(dbt.this), fit)))

    return rows_between_refits(inputs, stored_rows if dbt.is_incremental else None, settings)
