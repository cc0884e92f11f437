#!/usr/bin/env bash
# The scheduled job (cron, Dagster, Airflow...): landing check, incremental build, publish, report.
# Usage: scripts/daily.sh [dbt build options, e.g. --select ...]
# Reads the landing folder as it is (TAILOR_LANDING, default data/landing/$TAILOR_SCALE); never generates data.
# Exit codes, so an orchestrator can tell what to do:
#   0  built, published and reported
#   2  landing check failed: nothing was built; fix the files (or TAILOR_ABSENT_SOURCES) and rerun
#   3  dbt build failed: nothing was published; BI keeps the previous version
#   4  publish failed: the build is good, BI keeps the previous version; rerun `tailor publish`
#   5  report failed: the new version is published; only the HTML report is stale
#   1  anything else (setup)
set -uo pipefail
cd "$(dirname "$0")/.."
SCALE="${TAILOR_SCALE:-sample}"
scripts/bootstrap.sh || exit 1
source scripts/env.sh
step() { echo "==> $(date -u +%FT%TZ) $*"; }

step "check $TAILOR_LANDING"
tailor check || exit 2
tailor state --record --status building >/dev/null || exit 1
step "dbt build (incremental models process what landed since the last run)"
if ! dbt build --target "$TAILOR_TARGET" --target-path "$TAILOR_TARGET_DIR" "$@"; then
  tailor state --record --status build_failed >/dev/null
  exit 3
fi
step "publish"
tailor publish --db "$TAILOR_DUCKDB_PATH" --target-dir "$TAILOR_TARGET_DIR" --out "$TAILOR_PUBLISH_DIR" || exit 4
tailor state --record --status published >/dev/null || exit 1
step "report"
tailor report --out "$TAILOR_REPORT_PATH" || exit 5
step "done"
