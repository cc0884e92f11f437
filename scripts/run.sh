#!/usr/bin/env bash
# The main job: environment, landing check, full dbt build, publish for BI, an HTML report, a summary.
# Usage: scripts/run.sh [scale]   (scale: tiny | sample | m | l; default sample)
# Your own exports: TAILOR_LANDING=/path/to/exports scripts/run.sh (nothing is generated or written there).
# Without TAILOR_LANDING, sample data with planted truth is generated once into $TAILOR_DATA_DIR (data/).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-${TAILOR_SCALE:-sample}}"
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="$PWD/profiles"
DATA_DIR="${TAILOR_DATA_DIR:-$PWD/data}"
if [ -z "${TAILOR_LANDING:-}" ]; then
  export TAILOR_LANDING="$DATA_DIR/landing/$SCALE"
  export TAILOR_TRUTH="${TAILOR_TRUTH:-$DATA_DIR/truth/$SCALE}"
  if [ ! -f "$TAILOR_LANDING/_SUCCESS" ]; then
    tailor generate --scale "$SCALE" --out "$DATA_DIR"
  fi
fi
export TAILOR_DUCKDB_PATH="${TAILOR_DUCKDB_PATH:-$PWD/warehouse/tailor.duckdb}"
export TAILOR_TARGET="${TAILOR_TARGET:-dev}"
export TAILOR_TARGET_DIR="${TAILOR_TARGET_DIR:-$PWD/target}"
export TAILOR_PUBLISH_DIR="${TAILOR_PUBLISH_DIR:-$PWD/published}"
export TAILOR_REPORT_PATH="${TAILOR_REPORT_PATH:-$TAILOR_PUBLISH_DIR/report.html}"
export TAILOR_CODE_VERSION="${TAILOR_CODE_VERSION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
# Seconds, not minutes: a wrong landing folder stops here with every problem on one screen.
tailor check
tailor state --record --status building
# `set -e` stops here on any failed model or test, so nothing is published after a failed build.
dbt build --target "$TAILOR_TARGET" --target-path "$TAILOR_TARGET_DIR"
tailor publish --db "$TAILOR_DUCKDB_PATH" --target-dir "$TAILOR_TARGET_DIR" --out "$TAILOR_PUBLISH_DIR"
tailor report --out "$TAILOR_REPORT_PATH"
tailor state --record --status published
tailor summary --db "$TAILOR_DUCKDB_PATH"
cat <<NEXT

report : $TAILOR_REPORT_PATH   (open it in a browser; works offline)
BI     : $TAILOR_PUBLISH_DIR/tailor_marts.duckdb (read-only; docs/bi.md)
next   : .venv/bin/tailor segments | identity-report | experiments | recs     (find this run by themselves)
         make docs                        (browse models and lineage)
         scripts/daily.sh                 (the scheduled job: check, incremental build, publish, report)
NEXT
