"""A dbt Python model run on a real local Spark session (tailor.engines.spark_models): refs read as Spark
tables through Arrow into pandas, the result stored as a Parquet table, an incremental model's
delete+insert on its unique key. Skipped where the Spark engine is not installed
(`TAILOR_TARGET=spark scripts/bootstrap.sh`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")

from tailor.engines.spark_models import SparkSessionView, run_python_model  # noqa: E402

MODEL = """
import pandas as pd
from tailor.frames import read_frame


def model(dbt, session):
    events = read_frame(dbt.ref("events").filter("kind = 'view'").select("person_id", "at", "amount"))
    summary = events.groupby("person_id", as_index=False).agg(views=("at", "size"), last_at=("at", "max"))
    summary["run"] = dbt.config.meta_get("settings")["run"]
    summary["seen_before"] = dbt.is_incremental
    return summary
"""


def node(name: str, path: str, run: str, materialized: str = "table") -> dict:
    return {
        "name": name,
        "alias": name,
        "schema": "default",
        "original_file_path": path,
        "depends_on": {"nodes": ["model.tailor.events"]},
        "config": {
            "materialized": materialized,
            "incremental_strategy": "delete+insert",
            "unique_key": "run",
            "meta": {"settings": {"run": run}},
        },
    }


def test_python_model_reads_spark_refs_and_stores_its_frame(spark, tmp_path: Path):
    spark.createDataFrame(
        pd.DataFrame(
            {
                "person_id": ["p1", "p1", "p2", "p3"],
                "kind": ["view", "view", "view", "buy"],
                "at": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 11:30", "2026-01-03 09:00", "2026-01-04 00:00"]),
                "amount": [1.5, None, 2.0, 3.0],
            }
        )
    ).write.mode("overwrite").saveAsTable("default.events")
    (tmp_path / "summary.py").write_text(textwrap.dedent(MODEL))
    manifest = {"nodes": {"model.tailor.events": {"name": "events", "alias": "events", "schema": "default"}}}

    first = node("summary", "summary.py", "r1", materialized="incremental")
    assert run_python_model(spark, tmp_path, first, manifest, full_refresh=False) == 2
    stored = spark.table("default.summary").toPandas().sort_values("person_id")
    assert stored["views"].tolist() == [2, 1]
    assert stored["seen_before"].tolist() == [False, False]
    # the timestamp comes back as the same UTC wall-clock time DuckDB would store
    assert str(spark.table("default.summary").schema["last_at"].dataType) == "TimestampType()"
    assert spark.sql("select max(last_at) from default.summary").collect()[0][0].isoformat() == "2026-01-03T09:00:00"

    # incremental: a second run replaces its own key's rows and keeps the others
    second = node("summary", "summary.py", "r2", materialized="incremental")
    run_python_model(spark, tmp_path, second, manifest, full_refresh=False)
    run_python_model(spark, tmp_path, second, manifest, full_refresh=False)
    runs = spark.sql(
        "select run, count(*) as n, max(cast(seen_before as int)) as seen from default.summary group by run"
    )
    assert sorted((row.run, row.n, row.seen) for row in runs.collect()) == [("r1", 2, 0), ("r2", 2, 1)]

    # a full refresh starts over
    run_python_model(spark, tmp_path, node("summary", "summary.py", "r3", "incremental"), manifest, full_refresh=True)
    assert [row.run for row in spark.sql("select distinct run from default.summary").collect()] == ["r3"]


def test_a_missing_table_raises_duckdbs_error_and_logs_nothing(spark, capsys, caplog) -> None:
    """A model reading its own earlier output on a first build catches one error on both engines, and the
    build's output carries no stack trace for it."""
    import duckdb

    with pytest.raises(duckdb.CatalogException, match="TABLE_OR_VIEW_NOT_FOUND"):
        SparkSessionView(spark).sql("select * from default.never_built")
    captured = capsys.readouterr()
    assert "TABLE_OR_VIEW_NOT_FOUND" not in captured.out + captured.err
    assert not [record for record in caplog.records if record.name == "SQLQueryContextLogger"]
