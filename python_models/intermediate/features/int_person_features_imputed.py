"""Person features completed by imputation and scored for confidence (logic in tailor.features.completion)."""

from tailor.features.completion import CompletionSettings, complete_profiles
from tailor.features.imputation import ImputationSettings
from tailor.frames import read_frame


def model(dbt, session):
    settings = CompletionSettings(
        imputation=ImputationSettings(
            n_neighbors=int(dbt.config.meta_get("imputation_knn_neighbors")),
            min_observed=int(dbt.config.meta_get("imputation_min_observed")),
            min_vote_share=float(dbt.config.meta_get("imputation_min_vote_share")),
        ),
        activity_saturation=float(dbt.config.meta_get("profile_activity_saturation")),
        low_confidence_threshold=float(dbt.config.meta_get("profile_low_confidence_threshold")),
    )
    return complete_profiles(read_frame(dbt.ref("int_person_features")), settings)
