"""dbt's built-ins and the project's macros for sqlfluff's jinja templater (`library_path` in .sqlfluff), so
the linter renders the project's own macros (macros/) and dbt's own cross-database macros instead of
hand-written stand-ins: a new macro needs no lint upkeep.

The macros are compiled here, once per linting process, rather than by `load_macros_from_path`, which
compiles every macro file twice for every linted file (half the lint step's time).

The SQL renders as dbt compiles it (`execute` is true): `var` reads dbt_project.yml, `graph.sources` holds
the sources' yml (meta, documented columns); what needs a warehouse is empty (queries return no rows,
relations have no columns, `graph.nodes` is empty).
sqlfluff executes this module once per linted file, so the parsed project and dbt's macros are cached in a
module of their own.
"""

from __future__ import annotations

import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from jinja2 import pass_context
from jinja2.runtime import Context, Macro
from sqlfluff.core.templaters.builtins.dbt import (
    DBT_BUILTINS,
    DbtMacroWrapper,
    DbtSandboxedEnvironment,
    RelationEmulator,
    _builtin_return,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PROJECT_NAME = "tailor"
ADAPTER_TYPE = "duckdb"
_CACHE = sys.modules.setdefault("_tailor_lint_cache", types.ModuleType("_tailor_lint_cache"))


def _project_vars() -> dict[str, Any]:
    """The `vars: tailor:` block of dbt_project.yml, read once per process."""
    if not hasattr(_CACHE, "project_vars"):
        project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
        _CACHE.project_vars = (project.get("vars") or {}).get(PROJECT_NAME, {})
    return _CACHE.project_vars


def var(name: str, default: Any = None) -> Any:
    """dbt's `var`: the project's value, else the default; an unknown var without a default fails as in dbt."""
    values = _project_vars()
    if name in values:
        return values[name]
    if default is None:
        raise KeyError(f"Required var '{name}' not found in dbt_project.yml")
    return default


def env_var(name: str, default: str | None = None) -> str:
    """dbt's `env_var`, independent of the linting machine: the default, or a placeholder without one."""
    return default if default is not None else f"env_var_{name.lower()}"


def log(msg: str, info: bool = False) -> str:
    """dbt's `log`: silent here."""
    return ""


class _EmptyTable:
    """What `run_query` returns at lint time: a result without rows (no warehouse is queried)."""

    rows: list[Any] = []
    columns: list[Any] = []


def run_query(sql: str) -> _EmptyTable:
    """dbt's `run_query`: nothing runs at lint time, every query returns no rows."""
    return _EmptyTable()


def _source_nodes() -> dict[str, dict[str, Any]]:
    """graph.sources as dbt builds it from the sources' yml: meta and documented columns per table."""
    if not hasattr(_CACHE, "source_nodes"):
        nodes: dict[str, dict[str, Any]] = {}
        for path in sorted((PROJECT_ROOT / "models").rglob("_*__sources.yml")):
            for source in (yaml.safe_load(path.read_text()) or {}).get("sources", []):
                for table in source.get("tables", []):
                    meta = {**(table.get("meta") or {}), **((table.get("config") or {}).get("meta") or {})}
                    columns = {column["name"]: {"name": column["name"]} for column in table.get("columns", [])}
                    name = f"source.{PROJECT_NAME}.{source['name']}.{table['name']}"
                    nodes[name] = {
                        "name": table["name"],
                        "source_name": source["name"],
                        "meta": meta,
                        "columns": columns,
                    }
        _CACHE.source_nodes = nodes
    return _CACHE.source_nodes


class _Exceptions:
    """dbt's `exceptions` namespace."""

    @staticmethod
    def raise_compiler_error(msg: str) -> None:
        raise RuntimeError(msg)

    @staticmethod
    def warn(msg: str) -> str:
        return ""


class _Target:
    """dbt's `target`: the `lint` output of profiles/profiles.yml."""

    name = "lint"
    type = ADAPTER_TYPE
    database = "memory"
    schema = "main"
    threads = 1
    profile_name = PROJECT_NAME


class _Column:
    """dbt's `api.Column`: type names translated by the DuckDB adapter itself."""

    @staticmethod
    def translate_type(dtype: str) -> str:
        from dbt.adapters.duckdb.column import DuckDBColumn

        return DuckDBColumn.translate_type(dtype)


class _Relation:
    """dbt's `api.Relation`."""

    @staticmethod
    def create(database: str | None = None, schema: str | None = None, identifier: str | None = None, **_: Any):
        return RelationEmulator(identifier or "relation")


class _Api:
    Column = _Column
    Relation = _Relation


def _compiled_macros(paths: list[Path], context: dict[str, Any]) -> dict[str, Macro]:
    """The macros of these files, compiled as one template: each finds the others (and the implementations it
    dispatches to) in its own context."""
    from sqlfluff.core.templaters.jinja import DBTMaterializationExtension, DBTTestExtension

    env = DbtSandboxedEnvironment(
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", DBTTestExtension, DBTMaterializationExtension]
    )
    template = env.from_string("\n".join(path.read_text() for path in paths), globals=context)
    return {name: value for name, value in vars(template.module).items() if isinstance(value, Macro)}


class _DbtMacro(DbtMacroWrapper):
    """One of dbt's own macros, its output on one line: dbt's templates indent for reading, not for the
    layout rules, which are about this project's SQL."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        return " ".join(str(result).split()) if isinstance(result, str) else result


def _dbt_macros() -> dict[str, Any]:
    """dbt's cross-database macros (the global project's and the DuckDB adapter's), compiled once per process."""
    if not hasattr(_CACHE, "dbt_macros"):
        import dbt.include

        include = Path(dbt.include.__path__[0])
        folders = [include / "global_project" / "macros" / "utils", include / ADAPTER_TYPE / "macros" / "utils"]
        paths = [path for folder in folders for path in sorted(folder.glob("*.sql"))]
        context = {"adapter": adapter, "return": _builtin_return, "api": api, "target": target}
        _CACHE.dbt_macros = {name: _DbtMacro(macro) for name, macro in _compiled_macros(paths, context).items()}
    return _CACHE.dbt_macros


def _project_macros() -> dict[str, Any]:
    """The project's macros (macros/), rendering with the built-ins below, compiled once per process."""
    if not hasattr(_CACHE, "project_macros"):
        paths = sorted((PROJECT_ROOT / "macros").rglob("*.sql"))
        context = {**DBT_BUILTINS, **_builtins(), **_dbt_macros(), "dbt": dbt}
        _CACHE.project_macros = {
            name: DbtMacroWrapper(macro) for name, macro in _compiled_macros(paths, context).items()
        }
    return _CACHE.project_macros


class _Adapter:
    """dbt's `adapter`: dispatch as configured in dbt_project.yml (this project first, then dbt)."""

    @pass_context
    def dispatch(self, context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
        for prefix in (f"{ADAPTER_TYPE}__", "default__"):
            found = context.get(prefix + macro_name)
            if found is not None:
                return found
            if prefix + macro_name in _dbt_macros():
                return _dbt_macros()[prefix + macro_name]
        raise KeyError(f"no implementation of {macro_name} for {ADAPTER_TYPE}")

    @staticmethod
    def get_relation(database: str | None, schema: str | None, identifier: str) -> None:
        return None

    @staticmethod
    def get_columns_in_relation(relation: Any) -> list[Any]:
        return []

    @staticmethod
    def quote(identifier: str) -> str:
        return f'"{identifier}"'


adapter = _Adapter()
api = _Api()
target = _Target()
exceptions = _Exceptions()
execute = True
# dbt's run flags: a lint renders a daily (not --full-refresh) run
flags = types.SimpleNamespace(FULL_REFRESH=False)
graph: dict[str, dict[str, Any]] = {"nodes": {}, "sources": _source_nodes(), "exposures": {}, "metrics": {}}
project_name = PROJECT_NAME
invocation_id = "00000000-0000-0000-0000-000000000000"
run_started_at = datetime(2000, 1, 1)


# dbt's own ref/source/config, for a project macro that overrides one and calls the original
builtins = types.SimpleNamespace(**{name: DBT_BUILTINS[name] for name in ("ref", "source", "config")})


def _builtins() -> dict[str, Any]:
    """The names above, as the project's macros see them."""
    names = [
        *("var", "env_var", "log", "run_query", "adapter", "api", "target", "exceptions", "execute", "flags"),
        "graph",
    ]
    return {name: globals()[name] for name in [*names, "builtins", "project_name", "invocation_id", "run_started_at"]}


# dbt's global macros as `dbt.datediff(...)` and as `datediff(...)`, then the project's own macros
dbt = types.SimpleNamespace(**_dbt_macros())
globals().update(_dbt_macros())
globals().update(_project_macros())
