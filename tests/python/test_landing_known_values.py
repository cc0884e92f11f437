"""tailor.landing.known_values reads the one list of each vocabulary that dbt's staging reads too."""

from __future__ import annotations

import pytest
import yaml

from tailor.landing import CONSENT_PURPOSES, EVENT_TYPES, PROJECT_FILE, known_values


def test_vocabularies_are_the_dbt_project_lists():
    lists = yaml.safe_load(PROJECT_FILE.read_text())["vars"]["tailor"]["known_values"]
    assert tuple(lists["event_type"]) == EVENT_TYPES
    assert tuple(lists["consent_purpose"]) == CONSENT_PURPOSES
    assert {"event_type", "consent_purpose", "consent_status", "order_status"} <= set(lists)


def test_unknown_vocabulary_names_itself():
    with pytest.raises(KeyError, match="no_such_list"):
        known_values("no_such_list")
