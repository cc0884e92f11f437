"""The docs site's front page (docs/overview.md, dbt's __overview__ block) names only folders and files that
exist, and every model folder of the project appears in its layer map."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OVERVIEW = REPO / "docs" / "overview.md"


def layer_map_paths() -> list[str]:
    text = OVERVIEW.read_text()
    assert text.startswith("{% docs __overview__ %}") and text.rstrip().endswith("{% enddocs %}")
    table = text.split("## Layer map", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`((?:models|python_models|snapshots)/[^`]*)`", table)


def test_every_path_in_the_layer_map_exists() -> None:
    paths = layer_map_paths()
    assert len(paths) >= 7
    for path in paths:
        concrete = path.split("<", 1)[0]  # models/staging/<source>/... -> models/staging/
        assert (REPO / concrete).exists(), f"docs/overview.md names {path}, which does not exist"


def test_every_layer_folder_is_in_the_layer_map() -> None:
    named = {path.split("<", 1)[0].rstrip("/") for path in layer_map_paths()}
    for folder in ("models/staging", "models/intermediate", "models/marts", "python_models", "snapshots"):
        assert folder in named, f"{folder} is missing from the layer map in docs/overview.md"
