"""The build of a dbt project cut into stages around its Python models, for engines that cannot run them.

dbt-spark runs Python models only by submitting them to Databricks; on a local Spark session the project's
Python models run in this process instead (tailor.engines.spark_models) and dbt builds everything else.
A node's stage is the number of Python models on its longest upstream path: stage 0 is what needs no Python
model, Python models of stage k read only nodes of stages below k, and the SQL nodes and tests of stage k
come right after the Python models of stage k. The build alternates: dbt stage 0, Python stage 1, dbt
stage 1, Python stage 2, ... Pure functions over the manifest's JSON, so the plan is tested without an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

# resource types dbt builds or tests; the Python models among the models are taken out of dbt's stages
BUILT_TYPES: frozenset[str] = frozenset({"model", "seed", "snapshot", "test", "unit_test"})


@dataclass(frozen=True)
class Stage:
    """One step of the build: `dbt` (nodes dbt builds and tests) or `python` (models run in this process)."""

    kind: str
    number: int
    unique_ids: tuple[str, ...]


def is_python_model(node: dict[str, Any]) -> bool:
    """A dbt Python model (language python)."""
    return node.get("resource_type") == "model" and node.get("language") == "python"


def built_nodes(manifest: dict[str, Any], project: str) -> dict[str, dict[str, Any]]:
    """The project's own nodes that a build runs (models, seeds, snapshots, data and unit tests)."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    return {
        unique_id: node
        for unique_id, node in nodes.items()
        if node.get("resource_type") in BUILT_TYPES and node.get("package_name") == project
    }


def parents_of(node: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The nodes a node reads; a unit test reads the model it tests (its fixtures stand in for the rest)."""
    depends = node.get("depends_on", {}).get("nodes", [])
    if node.get("resource_type") == "unit_test":
        return [unique_id for unique_id in depends if unique_id in manifest.get("nodes", {})]
    return list(depends)


def stage_numbers(manifest: dict[str, Any], project: str) -> dict[str, int]:
    """Each built node's stage: the most Python models on a path from the sources to it (itself included)."""
    nodes = built_nodes(manifest, project)
    graph = {unique_id: [p for p in parents_of(node, manifest) if p in nodes] for unique_id, node in nodes.items()}
    stages: dict[str, int] = {}
    for unique_id in TopologicalSorter(graph).static_order():
        upstream = max((stages[parent] for parent in graph[unique_id]), default=0)
        stages[unique_id] = upstream + (1 if is_python_model(nodes[unique_id]) else 0)
    return stages


def kind_of_test(node: dict[str, Any]) -> str:
    """What kind of test a node is: its generic test's name (`unique`, `raw_rows_reconciled`, ...),
    `singular` for a SQL file under tests/, `unit` for a dbt unit test; empty for anything else."""
    if node.get("resource_type") == "unit_test":
        return "unit"
    if node.get("resource_type") != "test":
        return ""
    return (node.get("test_metadata") or {}).get("name") or "singular"


def plan_stages(
    manifest: dict[str, Any],
    project: str,
    skip_types: frozenset[str] = frozenset(),
    test_kinds: frozenset[str] | None = None,
) -> list[Stage]:
    """The build as alternating dbt and Python stages (empty stages left out). Python models of one stage
    are listed in dependency order; `skip_types` (e.g. snapshots on a table format that cannot merge) are
    left out of every stage, with their tests and whatever else reads them. `test_kinds` (see kind_of_test),
    when given, keeps only those tests; every model and seed is built either way."""
    nodes = built_nodes(manifest, project)
    if test_kinds is not None:
        nodes = {u: n for u, n in nodes.items() if not kind_of_test(n) or kind_of_test(n) in test_kinds}
    numbers = stage_numbers(manifest, project)
    graph = {unique_id: [p for p in parents_of(node, manifest) if p in nodes] for unique_id, node in nodes.items()}
    order = list(TopologicalSorter(graph).static_order())
    skipped: set[str] = set()
    for unique_id in order:  # a skipped node takes its tests and everything downstream with it
        if nodes[unique_id]["resource_type"] in skip_types or any(p in skipped for p in graph[unique_id]):
            skipped.add(unique_id)
    plan: list[Stage] = []
    for number in range(max(numbers.values(), default=0) + 1):
        python = tuple(u for u in order if numbers[u] == number and is_python_model(nodes[u]))
        sql = tuple(u for u in order if numbers[u] == number and not is_python_model(nodes[u]) and u not in skipped)
        if python:
            plan.append(Stage("python", number, python))
        if sql:
            plan.append(Stage("dbt", number, sql))
    return plan


def selector(node: dict[str, Any]) -> str:
    """A dbt selector matching exactly this node: its fully qualified name."""
    return "fqn:" + ".".join(node["fqn"])
