"""The linter renders the project's real macros (src/tailor/lint), not stand-ins a new macro would need."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MACRO_NAME = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")


@pytest.fixture(scope="module")
def lint_context():
    spec = importlib.util.spec_from_file_location("dbt_builtins", REPO / "src" / "tailor" / "lint" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def test_no_sqlfluff_file_holds_macro_stand_ins() -> None:
    configs = [REPO / ".sqlfluff", *REPO.glob("models/**/.sqlfluff"), *REPO.glob("macros/**/.sqlfluff")]
    configs += list(REPO.glob("tests/**/.sqlfluff")) + list(REPO.glob("snapshots/**/.sqlfluff"))
    with_stand_ins = [str(path.relative_to(REPO)) for path in configs if "templater:jinja:macros" in path.read_text()]
    assert with_stand_ins == []


def test_every_project_macro_reaches_the_linter(lint_context) -> None:
    defined = {name for path in (REPO / "macros").rglob("*.sql") for name in MACRO_NAME.findall(path.read_text())}
    assert defined, "no macros found"
    assert sorted(defined - set(lint_context)) == []


def test_macros_render_the_sql_that_runs(lint_context) -> None:
    rendered = str(lint_context["aggregate_person_items"]("interactions"))
    assert rendered.count(" as ") == 12  # every column of the real macro, not a shortened copy
    dispatched = str(lint_context["regexp_like"]("email", "'^a'"))
    assert "regexp_matches(email" in dispatched  # the DuckDB implementation, found by adapter.dispatch
    assert "date_diff('day'" in str(lint_context["datediff"]("a", "b", "day"))  # dbt's own cross-db macro


def test_var_reads_dbt_project_yml(lint_context) -> None:
    assert lint_context["var"]("session_inactivity_minutes") == 30
    with pytest.raises(KeyError):
        lint_context["var"]("no_such_var")
