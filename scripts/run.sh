#!/usr/bin/env bash
# The main job: environment, sample data (generated once), full dbt build, a summary of what was built.
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
mkdir -p "$(dirname "$TAILOR_DUCKDB_PATH")"
if [ ! -f "$TAILOR_LANDING/_SUCCESS" ]; then
  tailor generate --scale "$SCALE" --out "$PWD/data"
fi
dbt build --target "${TAILOR_TARGET:-dev}"
tailor summary --db "$TAILOR_DUCKDB_PATH"
