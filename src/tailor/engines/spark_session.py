"""The local Spark session of the `spark` target, for tools outside dbt (compare-engines, the Python models).

It opens the same warehouse folder and Derby metastore as profiles/profiles.yml's `spark` target, so the
tables dbt built there are visible by name. Only one process may hold the Derby metastore at a time.
"""

from __future__ import annotations

import os
from functools import cache


def warehouse_dir() -> str:
    """The `spark` target's warehouse folder (TAILOR_SPARK_WAREHOUSE, default warehouse/spark)."""
    return os.environ.get("TAILOR_SPARK_WAREHOUSE", "warehouse/spark")


@cache
def local_session():
    """A SparkSession on local[*] over the `spark` target's warehouse and metastore (settings as in profiles.yml)."""
    from pyspark.sql import SparkSession

    root = warehouse_dir()
    builder = (
        SparkSession.builder.master("local[*]")
        .appName("tailor")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("TAILOR_SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.driver.memory", os.environ.get("TAILOR_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", f"{root}/tables")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={root}/metastore_db;create=true"
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.stream.error.file={root}/derby.log")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .enableHiveSupport()
    )
    return builder.getOrCreate()
