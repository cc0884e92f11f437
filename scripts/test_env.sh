# The test suites' environment, sourced by scripts/test.sh and scripts/test_spark.sh after `cd` to the repo
# root: the venv with the Spark engine, and a fresh work folder WORK (TAILOR_TEST_DIR, else the caller's
# WORK_DEFAULT) holding the generated `tiny` landing, the DuckDB warehouse and the Spark warehouse, with a
# fixed salt so that builds compared across engines pseudonymize alike.
TAILOR_TARGET=spark scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="$PWD/profiles"
WORK="${TAILOR_TEST_DIR:-$WORK_DEFAULT}"
rm -rf "$WORK" && mkdir -p "$WORK"
export TAILOR_LANDING="$WORK/data/landing/tiny"
export TAILOR_TRUTH="$WORK/data/truth/tiny"
export TAILOR_DUCKDB_PATH="$WORK/ci.duckdb"
export TAILOR_SPARK_WAREHOUSE="$WORK/spark"
export TAILOR_SPARK_DRIVER_MEMORY="${TAILOR_SPARK_DRIVER_MEMORY:-1g}"
export TAILOR_PII_SALT="${TAILOR_PII_SALT:-ci-test-salt}"
