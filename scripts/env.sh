# The main job's environment, sourced by scripts/run.sh and scripts/daily.sh (after bootstrap): every
# TAILOR_* setting already in the environment wins; the rest get the defaults below.
# Needs SCALE. Without TAILOR_LANDING, the landing folder is the generated sample's, $TAILOR_DATA_DIR/landing/$SCALE,
# and only then is there a planted truth to score against.
export PATH="$PWD/.venv/bin:$PATH"
export DBT_PROFILES_DIR="${DBT_PROFILES_DIR:-$PWD/profiles}"
TAILOR_DATA_DIR="${TAILOR_DATA_DIR:-$PWD/data}"
TAILOR_USES_SAMPLE=no
if [ -z "${TAILOR_LANDING:-}" ]; then
  TAILOR_USES_SAMPLE=yes
  export TAILOR_LANDING="$TAILOR_DATA_DIR/landing/$SCALE"
  export TAILOR_TRUTH="${TAILOR_TRUTH:-$TAILOR_DATA_DIR/truth/$SCALE}"
fi
export TAILOR_DUCKDB_PATH="${TAILOR_DUCKDB_PATH:-$PWD/warehouse/tailor.duckdb}"
export TAILOR_TARGET="${TAILOR_TARGET:-dev}"
export TAILOR_TARGET_DIR="${TAILOR_TARGET_DIR:-$PWD/target}"
export TAILOR_PUBLISH_DIR="${TAILOR_PUBLISH_DIR:-$PWD/published}"
export TAILOR_REPORT_PATH="${TAILOR_REPORT_PATH:-$TAILOR_PUBLISH_DIR/report.html}"
export TAILOR_CODE_VERSION="${TAILOR_CODE_VERSION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
