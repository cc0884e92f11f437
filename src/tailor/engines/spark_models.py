"""The project's dbt Python models run on a local Spark session: refs read as Spark tables through Arrow,
results written back as Spark tables.

dbt-spark submits Python models only to Databricks. Here each model's own `model(dbt, session)` is called
in this process with a small stand-in for dbt's `dbt` object (ref, source, config, this, is_incremental)
built from the manifest. The models call pure functions from `tailor` on pandas frames (tailor.frames
.read_frame), so the only engine-specific parts are the relations they are handed and how their frame is
stored; both live here.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def spark_arrow(frame: Any) -> pa.Table:
    """A Spark DataFrame's rows as the Arrow table a DuckDB relation gives: timestamps without zone (UTC
    wall clock, as DuckDB's `timestamp`), decimals as doubles."""
    table = frame.toArrow()
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(pa.timestamp(column.type.unit))
        elif pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class SparkRelation:
    """What `dbt.ref` hands a Python model on Spark: a Spark DataFrame that also answers the DuckDB relation
    methods the models use to fetch rows (to_arrow_table, df); read_frame reads it through Arrow. The
    relational methods both share (select, filter, distinct, join on column names, limit; set_alias is
    Spark's alias) go to the Spark
    DataFrame, their results wrapped again."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.frame, name)
        if not callable(attribute):
            return attribute

        def relational(*args: Any, **kwargs: Any) -> Any:
            args = tuple(arg.frame if isinstance(arg, SparkRelation) else arg for arg in args)
            result = attribute(*args, **kwargs)
            return SparkRelation(result) if type(result).__name__ == "DataFrame" else result

        return relational

    def set_alias(self, alias: str) -> SparkRelation:
        """DuckDB's name for Spark's `alias`."""
        return SparkRelation(self.frame.alias(alias))

    def to_arrow_table(self) -> pa.Table:
        return spark_arrow(self.frame)

    def df(self) -> pd.DataFrame:
        from tailor.frames import read_frame

        return read_frame(self)


@contextmanager
def errors_raised_not_logged() -> Iterator[None]:
    """pyspark logs every failed query, stack trace included, at ERROR before it raises. Where the caller
    handles the error (a model asking for its own earlier output on a first build), that log is noise: the
    raised error carries the same message."""
    logger = logging.getLogger("SQLQueryContextLogger")
    disabled = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = disabled


class SparkSessionView:
    """The `session` a Python model gets: `sql()` returns a SparkRelation. A missing table raises DuckDB's
    CatalogException, so a model that reads its own earlier output catches one error on both engines."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def sql(self, query: str) -> SparkRelation:
        import duckdb
        from pyspark.errors import AnalysisException

        try:
            with errors_raised_not_logged():
                return SparkRelation(self.session.sql(query))
        except AnalysisException as error:
            if "TABLE_OR_VIEW_NOT_FOUND" in str(error):
                raise duckdb.CatalogException(str(error)) from error
            raise


class ModelConfig:
    """`dbt.config` of one model: its resolved config from the manifest."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def meta_get(self, key: str, default: Any = None) -> Any:
        return (self._config.get("meta") or {}).get(key, default)


@dataclass
class ModelContext:
    """The `dbt` object of one Python model: refs and sources resolve through the manifest to Spark tables."""

    node: dict[str, Any]
    manifest: dict[str, Any]
    session: Any
    is_incremental: bool

    @property
    def this(self) -> str:
        return relation_name(self.node)

    @property
    def config(self) -> ModelConfig:
        return ModelConfig(self.node.get("config", {}))

    def ref(self, *names: str, **_: Any) -> SparkRelation:
        name = names[-1]
        for unique_id in self.node["depends_on"]["nodes"]:
            parent = self.manifest["nodes"].get(unique_id)
            if parent is not None and name in (parent["name"], parent.get("alias")):
                return SparkRelation(self.session.table(relation_name(parent)))
        raise KeyError(f"{self.node['name']}: ref({name!r}) is not among its dependencies in the manifest")

    def source(self, source_name: str, table_name: str) -> SparkRelation:
        for unique_id in self.node["depends_on"]["nodes"]:
            source = self.manifest["sources"].get(unique_id)
            if source is not None and (source["source_name"], source["name"]) == (source_name, table_name):
                return SparkRelation(self.session.table(relation_name(source)))
        raise KeyError(f"{self.node['name']}: source({source_name!r}, {table_name!r}) is not in the manifest")


def relation_name(node: dict[str, Any]) -> str:
    """`schema`.`table` of a node on Spark (no catalog level on a local session)."""
    return f"`{node['schema']}`.`{node.get('alias') or node['name']}`"


def load_model_function(project_dir: Path, node: dict[str, Any]) -> Any:
    """The `model` function of a Python model's file."""
    path = project_dir / node["original_file_path"]
    spec = importlib.util.spec_from_file_location(f"tailor_python_model_{node['name']}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load Python model {node['name']} from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


def spark_ready(table: pa.Table) -> pa.Table:
    """An Arrow table Spark stores as the DuckDB build would: large strings and lists as plain ones, naive
    timestamps as UTC instants (Spark's `timestamp`), unsigned integers as signed 64-bit, all-null columns
    (no type) as strings."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        elif pa.types.is_large_list(kind):
            kind = pa.list_(pa.string() if pa.types.is_large_string(kind.value_type) else kind.value_type)
        elif pa.types.is_list(kind) and pa.types.is_large_string(kind.value_type):
            kind = pa.list_(pa.string())
        elif pa.types.is_timestamp(kind) and kind.tz is None:
            kind = pa.timestamp(kind.unit, tz="UTC")
        elif pa.types.is_unsigned_integer(kind):
            kind = pa.int64()
        elif pa.types.is_null(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def result_table(result: Any) -> pa.Table:
    """A Python model's return value (pandas frame, Arrow table or SparkRelation) as an Arrow table."""
    if isinstance(result, pa.Table):
        return result
    if isinstance(result, SparkRelation):
        return result.to_arrow_table()
    if isinstance(result, pd.DataFrame):
        return pa.Table.from_pandas(result, preserve_index=False)
    raise TypeError(f"a Python model returned {type(result).__name__}; expected a pandas or Arrow frame")


def merged_with_stored(new: pa.Table, stored: pa.Table, unique_key: str | list[str]) -> pa.Table:
    """delete+insert on a table format without delete: the stored rows whose key is not among the new rows,
    then the new rows. Columns are the new rows' (a column the stored rows lack is null there)."""
    keys = [unique_key] if isinstance(unique_key, str) else list(unique_key)
    if not keys:
        raise ValueError("delete+insert needs a unique_key")

    def key_of(table: pa.Table) -> pa.ChunkedArray:
        if len(keys) == 1:
            return table[keys[0]]
        return pc.binary_join_element_wise(*[pc.cast(table[key], pa.string()) for key in keys], "\x1f")

    replaced = pc.fill_null(pc.is_in(key_of(stored), value_set=key_of(new).combine_chunks()), False)
    kept = stored.filter(pc.invert(replaced))
    columns = [
        kept[name] if name in kept.column_names else pa.nulls(kept.num_rows, new.schema.field(name).type)
        for name in new.column_names
    ]
    return pa.concat_tables([pa.table(columns, names=new.column_names).cast(new.schema), new])


def incremental_rows(new: pa.Table, stored: pa.Table, config: dict[str, Any]) -> pa.Table:
    """The rows an incremental Python model stores on an incremental run: the stored rows then the new ones
    (`append`), or the stored rows whose key the new rows do not hold plus the new ones (`delete+insert`).
    A `replace_table` model (macros/materializations/replace_table.sql) returns its whole table and is not
    passed here."""
    if config.get("incremental_strategy") == "append":
        return pa.concat_tables([stored.select(new.column_names).cast(new.schema), new])
    return merged_with_stored(new, stored, config.get("unique_key") or [])


def run_python_model(
    session: Any, project_dir: Path, node: dict[str, Any], manifest: dict[str, Any], full_refresh: bool
) -> int:
    """Runs one Python model on the session and stores its result as a Parquet table; returns its rows.
    Incremental models (delete+insert or append) read their stored rows first, `replace_table` models read
    their own stored rows and return the whole table; `full_refresh: false` in a
    model's config keeps its history through a full refresh, as dbt does."""
    config = node.get("config", {})
    name = relation_name(node)
    exists = session.catalog.tableExists(f"{node['schema']}.{node.get('alias') or node['name']}")
    refresh = full_refresh and config.get("full_refresh") is not False
    incremental = config.get("materialized") == "incremental" and exists and not refresh
    context = ModelContext(node, manifest, session, incremental)
    result = load_model_function(project_dir, node)(context, SparkSessionView(session))
    table = spark_ready(result_table(result))
    if incremental and config.get("incremental_strategy") != "replace_table":
        table = incremental_rows(table, spark_ready(spark_arrow(session.table(name))), config)
    session.sql(f"create schema if not exists `{node['schema']}`")
    session.createDataFrame(table).write.mode("overwrite").format("parquet").saveAsTable(name)
    return table.num_rows
