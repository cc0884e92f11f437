#!/usr/bin/env bash
# The whole test suite: lint (ruff, sqlfluff), pytest, then a full dbt build with every data test on a
# freshly generated `tiny` dataset in an isolated warehouse, then the pipeline checks against planted truth.
# The Spark stage (README "Engines") builds every model and seed of the same data on local Spark, in the
# background beside the DuckDB build and pytest (the JVM takes the core they leave idle), then compares
# every mart with the DuckDB build. It runs only SPARK_CI_TESTS of the data tests; `make test-spark` runs all.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_DEFAULT="$PWD/target_test"
source scripts/test_env.sh
export TAILOR_TARGET_DIR="$WORK/target"
export TAILOR_CODE_VERSION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

echo "==> lint: ruff"
ruff check src tests/python python_models
echo "==> lint: sqlfluff"
sqlfluff lint models macros snapshots tests/generic tests/singular --dialect duckdb --processes 2 --nocolor
echo "==> generate tiny sample"
tailor generate --scale tiny --out "$WORK/data" --quiet

# The tests the Spark stage runs: what comparing the marts with DuckDB's cannot show, i.e. the invariants
# upstream of the marts, each on engine-specific SQL (landing reads and first-copy deduplication,
# the regex macros, the erasure hooks), and the unit tests of the SQL models' logic. Every other data test
# checks a mart that must equal DuckDB's, where it passed, or a not_null/accepted_values column rule that
# does not depend on the engine.
SPARK_CI_TESTS="raw_rows_reconciled,no_raw_pii,no_erased_persons"
echo "==> Spark stage started in the background: tailor spark-build --tests $SPARK_CI_TESTS (log: $WORK/spark_build.log)"
DBT_LOG_PATH="$WORK/logs_spark" tailor spark-build --target spark --target-path "$WORK/target_spark" \
  --tests "$SPARK_CI_TESTS" >"$WORK/spark_build.log" 2>&1 &
spark_pid=$!
trap 'kill "$spark_pid" 2>/dev/null || true' EXIT
echo "==> dbt build (ci target, all tests)"
# every partition is tested here, as the weekly `make test-all-partitions` does (a daily run tests the new ones)
dbt build --target ci --target-path "$WORK/target" --log-path "$WORK/logs" --vars '{data_tests_scope: all}'
# the marts as built, for the engine comparison after pytest (whatever pytest does to the warehouse)
cp "$TAILOR_DUCKDB_PATH" "$WORK/duckdb_marts.duckdb"
echo "==> dbt docs generate (the privacy checks scan the docs site for the salt)"
# its own folder keeps the build's run_results.json; the build's partial parse spares a second parse
mkdir -p "$WORK/docs" && cp "$WORK/target/partial_parse.msgpack" "$WORK/docs/"
dbt docs generate --target ci --target-path "$WORK/docs" --log-path "$WORK/logs" --quiet
export TAILOR_DOCS_DIR="$WORK/docs"
echo "==> pytest (unit + pipeline checks against planted truth)"
pytest tests/python
echo "==> Spark stage: waiting for tailor spark-build"
if ! wait "$spark_pid"; then
  grep -a -v "WARN\|\[Stage" "$WORK/spark_build.log" | tail -n 80
  echo "tailor spark-build failed (whole log: $WORK/spark_build.log)" >&2
  exit 1
fi
grep -a "^stage \|^spark-build\|^wall \|^time by" "$WORK/spark_build.log"
echo "==> tailor compare-engines: every mart, DuckDB vs Spark"
tailor compare-engines --manifest "$WORK/target_spark/manifest.json" \
  --left "duckdb:$WORK/duckdb_marts.duckdb" --right spark:main
