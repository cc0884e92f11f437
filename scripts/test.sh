#!/usr/bin/env bash
# The whole test suite: lint (ruff, sqlfluff), pytest, then a full dbt build with every data test on a
# freshly generated `tiny` dataset in an isolated warehouse, then the pipeline checks against planted truth.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="$PWD/profiles"
WORK="${TAILOR_TEST_DIR:-$PWD/target_test}"
rm -rf "$WORK" && mkdir -p "$WORK"
export TAILOR_LANDING="$WORK/data/landing/tiny"
export TAILOR_TRUTH="$WORK/data/truth/tiny"
export TAILOR_DUCKDB_PATH="$WORK/ci.duckdb"
export TAILOR_TARGET_DIR="$WORK/target"
export TAILOR_PII_SALT="${TAILOR_PII_SALT:-ci-test-salt}"
export TAILOR_CODE_VERSION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

echo "==> lint: ruff"
ruff check src tests/python python_models
echo "==> lint: sqlfluff"
sqlfluff lint models macros snapshots tests/generic tests/singular --dialect duckdb --processes 2 --nocolor
echo "==> generate tiny sample"
tailor generate --scale tiny --out "$WORK/data" --quiet
echo "==> dbt build (ci target, all tests)"
# every partition is tested here, as the weekly `make test-all-partitions` does (a daily run tests the new ones)
dbt build --target ci --target-path "$WORK/target" --log-path "$WORK/logs" --vars '{data_tests_scope: all}'
echo "==> dbt docs generate (the privacy checks scan the docs site for the salt)"
# its own folder keeps the build's run_results.json; the build's partial parse spares a second parse
mkdir -p "$WORK/docs" && cp "$WORK/target/partial_parse.msgpack" "$WORK/docs/"
dbt docs generate --target ci --target-path "$WORK/docs" --log-path "$WORK/logs" --quiet
export TAILOR_DOCS_DIR="$WORK/docs"
echo "==> pytest (unit + pipeline checks against planted truth)"
pytest tests/python
