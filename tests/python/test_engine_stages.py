"""The staged build for engines that cannot run dbt Python models (tailor.engines.stages), and the pure
Arrow steps of storing a Python model's result on Spark (tailor.engines.spark_models)."""

from __future__ import annotations

import pyarrow as pa

from tailor.commands.spark_build import parse_test_kinds
from tailor.engines.spark_models import incremental_rows, merged_with_stored, spark_ready
from tailor.engines.stages import kind_of_test, plan_stages, selector, stage_numbers


def node(name: str, kind: str = "model", parents: tuple[str, ...] = (), language: str = "sql") -> dict:
    return {
        "resource_type": kind,
        "package_name": "tailor",
        "language": language,
        "name": name,
        "fqn": ["tailor", "folder", name],
        "depends_on": {"nodes": list(parents)},
    }


def manifest() -> dict:
    """seed -> stg -> py_a (python) -> int_b -> py_c (python) -> mart; tests on stg, py_a and (int_b, stg)."""
    nodes = {
        "seed.tailor.seed": node("seed", "seed"),
        "model.tailor.stg": node("stg", parents=("seed.tailor.seed", "source.tailor.raw.t")),
        "model.tailor.py_a": node("py_a", parents=("model.tailor.stg",), language="python"),
        "model.tailor.int_b": node("int_b", parents=("model.tailor.py_a",)),
        "model.tailor.py_c": node("py_c", parents=("model.tailor.int_b", "model.tailor.stg"), language="python"),
        "model.tailor.mart": node("mart", parents=("model.tailor.py_c",)),
        "snapshot.tailor.snap": node("snap", "snapshot", parents=("model.tailor.mart",)),
        "test.tailor.not_null_stg": node("not_null_stg", "test", parents=("model.tailor.stg",)),
        "test.tailor.unique_py_a": node("unique_py_a", "test", parents=("model.tailor.py_a",)),
        "test.tailor.rel_int_b": node("rel_int_b", "test", parents=("model.tailor.int_b", "model.tailor.stg")),
        "test.tailor.not_null_snap": node("not_null_snap", "test", parents=("snapshot.tailor.snap",)),
        "model.other.foreign": {**node("foreign"), "package_name": "other"},
    }
    unit_tests = {"unit_test.tailor.int_b.ut": node("ut", "unit_test", parents=("model.tailor.int_b",))}
    return {"nodes": nodes, "unit_tests": unit_tests, "sources": {}}


def test_stage_counts_python_models_on_the_longest_upstream_path():
    numbers = stage_numbers(manifest(), "tailor")
    assert numbers["model.tailor.stg"] == 0
    assert numbers["model.tailor.py_a"] == 1
    assert numbers["test.tailor.unique_py_a"] == 1
    assert numbers["model.tailor.int_b"] == 1
    assert numbers["test.tailor.rel_int_b"] == 1
    assert numbers["unit_test.tailor.int_b.ut"] == 1
    assert numbers["model.tailor.py_c"] == 2
    assert numbers["model.tailor.mart"] == 2
    assert "model.other.foreign" not in numbers


def test_plan_alternates_dbt_and_python_stages_and_skips_snapshots():
    plan = plan_stages(manifest(), "tailor", skip_types=frozenset({"snapshot"}))
    assert [(stage.kind, stage.number) for stage in plan] == [
        ("dbt", 0),
        ("python", 1),
        ("dbt", 1),
        ("python", 2),
        ("dbt", 2),
    ]
    assert set(plan[0].unique_ids) == {"seed.tailor.seed", "model.tailor.stg", "test.tailor.not_null_stg"}
    assert plan[1].unique_ids == ("model.tailor.py_a",)
    assert set(plan[2].unique_ids) == {
        "model.tailor.int_b",
        "test.tailor.unique_py_a",
        "test.tailor.rel_int_b",
        "unit_test.tailor.int_b.ut",
    }
    # the snapshot and its test are left out
    assert plan[4].unique_ids == ("model.tailor.mart",)
    # every node reads only nodes of earlier stages or of its own dbt stage (dbt orders those itself)
    seen: set[str] = set()
    nodes = {**manifest()["nodes"], **manifest()["unit_tests"]}
    for stage in plan:
        available = seen | (set(stage.unique_ids) if stage.kind == "dbt" else set())
        for unique_id in stage.unique_ids:
            parents = nodes[unique_id]["depends_on"]["nodes"]
            assert all(p in available or p.startswith("source.") for p in parents), unique_id
        seen.update(stage.unique_ids)


def test_a_test_subset_keeps_every_model_and_only_the_named_kinds_of_test():
    tests = manifest()
    tests["nodes"]["test.tailor.unique_py_a"]["test_metadata"] = {"name": "unique"}
    tests["nodes"]["test.tailor.not_null_stg"]["test_metadata"] = {"name": "not_null"}
    assert kind_of_test(tests["nodes"]["test.tailor.unique_py_a"]) == "unique"
    assert kind_of_test(tests["nodes"]["test.tailor.rel_int_b"]) == "singular"
    assert kind_of_test(tests["unit_tests"]["unit_test.tailor.int_b.ut"]) == "unit"
    assert kind_of_test(tests["nodes"]["model.tailor.stg"]) == ""
    everything = plan_stages(tests, "tailor", skip_types=frozenset({"snapshot"}))
    subset = plan_stages(tests, "tailor", skip_types=frozenset({"snapshot"}), test_kinds=frozenset({"unique", "unit"}))
    kept = {u for stage in subset for u in stage.unique_ids}
    dropped = {u for stage in everything for u in stage.unique_ids} - kept
    assert dropped == {"test.tailor.not_null_stg", "test.tailor.rel_int_b"}
    assert [(stage.kind, stage.number) for stage in subset] == [(stage.kind, stage.number) for stage in everything]
    assert not {u for stage in plan_stages(tests, "tailor", test_kinds=frozenset()) for u in stage.unique_ids} & {
        "test.tailor.unique_py_a",
        "unit_test.tailor.int_b.ut",
    }


def test_the_tests_option_reads_all_none_and_lists():
    assert parse_test_kinds("all") is None
    assert parse_test_kinds("none") == frozenset()
    assert parse_test_kinds("unique, raw_rows_reconciled") == frozenset({"unique", "raw_rows_reconciled"})


def test_selector_is_the_fully_qualified_name():
    assert selector(node("stg")) == "fqn:tailor.folder.stg"


def test_delete_insert_replaces_stored_rows_of_the_new_keys_and_keeps_the_rest():
    stored = pa.table({"run": ["r1", "r1", "r2"], "value": [1, 2, 3]})
    new = pa.table({"run": ["r2", "r3"], "value": [30, 40], "extra": ["x", "y"]})
    merged = merged_with_stored(new, stored, "run")
    assert merged.to_pylist() == [
        {"run": "r1", "value": 1, "extra": None},
        {"run": "r1", "value": 2, "extra": None},
        {"run": "r2", "value": 30, "extra": "x"},
        {"run": "r3", "value": 40, "extra": "y"},
    ]


def test_incremental_rows_follow_the_strategy():
    stored = pa.table({"run": ["r1", "r2"], "value": [1, 2]})
    new = pa.table({"run": ["r2"], "value": [20]})
    appended = incremental_rows(new, stored, {"incremental_strategy": "append"})
    assert appended.to_pylist() == [{"run": "r1", "value": 1}, {"run": "r2", "value": 2}, {"run": "r2", "value": 20}]
    merged = incremental_rows(new, stored, {"incremental_strategy": "delete+insert", "unique_key": "run"})
    assert merged.to_pylist() == [{"run": "r1", "value": 1}, {"run": "r2", "value": 20}]


def test_spark_ready_types():
    table = pa.table(
        {
            "s": pa.array(["a"], pa.large_string()),
            "l": pa.array([["x"]], pa.large_list(pa.large_string())),
            "t": pa.array([0], pa.timestamp("us")),
            "u": pa.array([1], pa.uint32()),
            "n": pa.nulls(1),
        }
    )
    ready = spark_ready(table)
    assert ready.schema.types == [
        pa.string(),
        pa.list_(pa.string()),
        pa.timestamp("us", tz="UTC"),
        pa.int64(),
        pa.string(),
    ]
