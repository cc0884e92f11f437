"""Person features completed by imputation and scored for confidence (logic in tailor.features.completion)."""

from tailor.features.completion import CompletionSettings, complete_profiles
from tailor.frames import read_frame


def model(dbt, session):
    settings = CompletionSettings.from_mapping(dbt.config.meta_get("settings"))
    return complete_profiles(read_frame(dbt.ref("int_person_features")), settings)
