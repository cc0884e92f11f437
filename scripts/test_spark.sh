#!/usr/bin/env bash
# The Spark engine's checks (README "Engines"): on a freshly generated `tiny` dataset, the DuckDB build and
# the whole build on local Spark (tailor spark-build: SQL models, Python models, data and unit tests), then
# `tailor compare-engines` over every mart, then the Spark pytest tests, among them the proof that an
# incremental Spark build equals a full refresh (tests/python/test_spark_incremental.py: three more builds,
# minutes; TAILOR_SPARK_PROOF=1 selects it, the default suite skips it). scripts/test.sh runs a Spark stage
# too, with every model but only the data tests the comparison cannot stand in for (its SPARK_CI_TESTS):
# the whole set of tests on Spark takes minutes on a 2-core machine (numbers in the README).
# Usage: scripts/test_spark.sh   (TAILOR_TEST_DIR picks the work folder; default target_test_spark/)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK_DEFAULT="$PWD/target_test_spark"
source scripts/test_env.sh

echo "==> generate tiny sample"
tailor generate --scale tiny --out "$WORK/data" --quiet
echo "==> dbt build on DuckDB (ci target)"
dbt build --target ci --target-path "$WORK/target_duckdb" --log-path "$WORK/logs" --quiet
echo "==> tailor spark-build (spark target)"
tailor spark-build --target spark --target-path "$WORK/target_spark"
echo "==> tailor compare-engines: every mart, DuckDB vs Spark"
tailor compare-engines --manifest "$WORK/target_spark/manifest.json" \
  --left "duckdb:$TAILOR_DUCKDB_PATH" --right spark:main
echo "==> pytest (Spark engine; incremental = full refresh on Spark)"
TAILOR_SPARK_PROOF=1 pytest tests/python/test_spark_models.py tests/python/test_engine_stages.py \
  tests/python/test_spark_incremental.py
