"""One definition per setting: the settings classes' defaults, dbt_project.yml's vars and the docs' tables agree,
and a var is parsed strictly (an unknown key or a wrong type fails and names the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tailor.experiments.pipeline import ReadoutOptions
from tailor.features.completion import CompletionSettings
from tailor.identity import IdentitySettings
from tailor.recommend.settings import RecsSettings
from tailor.segments import config_from_mapping
from tailor.segments.config import SegmentConfig
from tailor.settings import SettingsError, parse_settings, settings_defaults

REPO = Path(__file__).resolve().parents[2]
PROJECT_VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
CLASSES: dict[str, type] = {"identity": IdentitySettings, "profiles": CompletionSettings, "experiments": ReadoutOptions}


def flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def doc_table(path: Path, heading: str) -> dict[str, Any]:
    """{key: default} of the first `| Key | Default | ... |` table after `heading`."""
    text = path.read_text()
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Key | Default |"))
    table: dict[str, Any] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        key, default = (cell.strip().strip("`") for cell in line.split("|")[1:3])
        table[key] = yaml.safe_load(default)
    return table


@pytest.mark.parametrize("domain", sorted(CLASSES))
def test_dbt_project_shows_the_class_defaults(domain: str) -> None:
    defaults = flat(settings_defaults(CLASSES[domain]))
    given = flat(PROJECT_VARS[domain])
    assert set(given) <= set(defaults), f"keys {set(given) - set(defaults)} unknown to {CLASSES[domain].__name__}"
    assert {key: defaults[key] for key in given} == given
    parse_settings(CLASSES[domain], PROJECT_VARS[domain], domain)


def test_dbt_project_shows_every_recommender_default() -> None:
    assert PROJECT_VARS["recommendations"] == RecsSettings.defaults()
    assert RecsSettings.from_mapping(PROJECT_VARS["recommendations"]) == RecsSettings()


def test_dbt_project_shows_the_segment_defaults() -> None:
    # every key dbt_project.yml writes holds the class default (numeric_features omit log1p: false)
    assert config_from_mapping(PROJECT_VARS["segments"]) == SegmentConfig()


@pytest.mark.parametrize("domain", sorted(CLASSES))
def test_docs_table_equals_the_class(domain: str) -> None:
    assert doc_table(REPO / "docs" / "settings.md", f"## `{domain}`") == flat(settings_defaults(CLASSES[domain]))


def test_recommendations_docs_table_equals_the_class() -> None:
    assert doc_table(REPO / "docs" / "recommendations.md", "## Vars") == RecsSettings.defaults()


def test_an_unknown_key_or_a_wrong_type_fails_and_names_the_key() -> None:
    with pytest.raises(SettingsError, match="unknown identity setting.*: cap_user;"):
        IdentitySettings.from_mapping({"cap_user": 2})
    with pytest.raises(SettingsError, match="profiles.imputation.n_neighbors must be an integer"):
        CompletionSettings.from_mapping({"imputation": {"n_neighbors": 2.5}})
    with pytest.raises(SettingsError, match="unknown profiles.imputation setting.*: k;"):
        CompletionSettings.from_mapping({"imputation": {"k": 2}})
    assert IdentitySettings.from_mapping('{"cap_anonymous_id": 5}').caps["anonymous_id"] == 5


def test_every_python_model_reading_settings_gets_its_domain_var() -> None:
    """A Python model that parses meta.settings has `meta: {settings: <its domain var>}` in its folder's yml."""
    domains = {"recommendations": "recommendations", "segments": "segments", "identity": "identity"}
    domains |= {"features": "profiles", "experiments": "experiments"}
    for folder, var in domains.items():
        models = yaml.safe_load((REPO / f"python_models/intermediate/{folder}/_{folder}__models.yml").read_text())
        meta = {model["name"]: model.get("config", {}).get("meta", {}) for model in models["models"]}
        for path in (REPO / "python_models/intermediate" / folder).glob("*.py"):
            if 'meta_get("settings")' in path.read_text():
                assert meta[path.stem] == {"settings": f"{{{{ tojson(var('{var}')) }}}}"}, path.stem
