#!/usr/bin/env bash
# The main job: environment, landing check, full dbt build, publish for BI, an HTML report, a summary.
# Usage: scripts/run.sh [scale]   (scale: tiny | sample | m | l; default sample)
# Your own exports: TAILOR_LANDING=/path/to/exports scripts/run.sh (nothing is generated or written there).
# Without TAILOR_LANDING, sample data with planted truth is generated once into data/ (TAILOR_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-${TAILOR_SCALE:-sample}}"
scripts/bootstrap.sh
source scripts/env.sh
if [ "$TAILOR_USES_SAMPLE" = yes ] && [ ! -f "$TAILOR_LANDING/_SUCCESS" ]; then
  tailor generate --scale "$SCALE" --out "$TAILOR_DATA_DIR"
fi
# Seconds, not minutes: a wrong landing folder stops here with every problem on one screen.
tailor check
tailor state --record --status building
if [ "$TAILOR_TARGET" = spark ]; then
  # Local Spark (README "Engines"): dbt builds the SQL nodes, the Python models run on the same session;
  # snapshots are skipped (Parquet cannot merge). publish, report and summary read the DuckDB warehouse.
  tailor spark-build --target spark --target-path "$TAILOR_TARGET_DIR"
  tailor state --record --status built
  echo "spark: built in ${TAILOR_SPARK_WAREHOUSE:-warehouse/spark}; publish, report and summary are DuckDB-only, skipped"
  echo "next : tailor compare-engines --manifest $TAILOR_TARGET_DIR/manifest.json --left duckdb:PATH --right spark:main"
  exit 0
fi
# `set -e` stops here on any failed model or test, so nothing is published after a failed build.
dbt build --target "$TAILOR_TARGET" --target-path "$TAILOR_TARGET_DIR"
tailor publish --db "$TAILOR_DUCKDB_PATH" --target-dir "$TAILOR_TARGET_DIR" --out "$TAILOR_PUBLISH_DIR"
tailor report --out "$TAILOR_REPORT_PATH"
tailor state --record --status published
tailor summary --db "$TAILOR_DUCKDB_PATH"
cat <<NEXT

report : $TAILOR_REPORT_PATH   (open it in a browser; works offline)
BI     : $TAILOR_PUBLISH_DIR/tailor_marts.duckdb   (read-only; docs/bi.md)
next   : .venv/bin/tailor segments | identity-report | experiments | recs   (they find this run by themselves)
         source .venv/bin/activate && mf query --metrics conversion_rate --group-by metric_time__week
         make docs                      (models, lineage and the layer map in the browser)
         scripts/daily.sh               (the scheduled job: check, incremental build, publish, report)
NEXT
