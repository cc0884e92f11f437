#!/usr/bin/env bash
# The main job: environment, sample data (generated once), full dbt build, publish for BI, a summary.
# Usage: scripts/run.sh [scale]   (scale: tiny | sample | m | l; default sample)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-${TAILOR_SCALE:-sample}}"
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="$PWD/profiles"
export TAILOR_LANDING="${TAILOR_LANDING:-$PWD/data/landing/$SCALE}"
export TAILOR_TRUTH="${TAILOR_TRUTH:-$PWD/data/truth/$SCALE}"
export TAILOR_DUCKDB_PATH="${TAILOR_DUCKDB_PATH:-$PWD/warehouse/tailor.duckdb}"
export TAILOR_CODE_VERSION="${TAILOR_CODE_VERSION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
mkdir -p "$(dirname "$TAILOR_DUCKDB_PATH")"
if [ ! -f "$TAILOR_LANDING/_SUCCESS" ]; then
  tailor generate --scale "$SCALE" --out "$PWD/data"
fi
# `set -e` stops here on any failed model or test, so nothing is published after a failed build.
dbt build --target "${TAILOR_TARGET:-dev}"
tailor publish --db "$TAILOR_DUCKDB_PATH" --target-dir target --out "${TAILOR_PUBLISH_DIR:-$PWD/published}"
tailor summary --db "$TAILOR_DUCKDB_PATH"
