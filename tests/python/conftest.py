"""Shared fixtures of the pipeline checks."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from tailor.recommend.data import InteractionMatrix, build_interaction_matrix
from tailor.recommend.synthetic import PlantedData, planted_dataset
from tailor.warehouse import connect, default_db_path


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """The built warehouse (TAILOR_DUCKDB_PATH), read-only. The module is skipped when the file or any of its
    REQUIRED_TABLES is missing. Modules that must fail instead of skipping define their own fixture."""
    path = default_db_path()
    if not path.exists():
        pytest.skip(f"no warehouse at {path}: build it first")
    con = connect(path)
    tables = set(con.sql("select table_name from information_schema.tables").df()["table_name"])
    missing = [table for table in getattr(request.module, "REQUIRED_TABLES", ()) if table not in tables]
    if missing:
        con.close()
        pytest.skip(f"{', '.join(missing)} not built in {path}")
    yield con
    con.close()


@pytest.fixture(scope="session")
def planted() -> PlantedData:
    """A small interaction set with planted categories (600 persons, 120 items, 4 categories), for the
    collaborative-filtering tests of either fit engine."""
    return planted_dataset(n_persons=600, n_items=120, n_categories=4, seed=11)


@pytest.fixture(scope="session")
def matrix(planted: PlantedData) -> InteractionMatrix:
    """The planted interactions as the person x item matrix the fits read."""
    return build_interaction_matrix(planted.interactions)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One small local Spark session for the tests that need one (its tables in a temporary folder); the test
    is skipped where pyspark is not installed (`TAILOR_TARGET=spark scripts/bootstrap.sh`)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("tailor-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark") / "tables"))
        .getOrCreate()
    )
    yield session
    session.stop()
