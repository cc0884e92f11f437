#!/usr/bin/env bash
# Creates .venv with the pinned dependencies and the tailor package (editable). Idempotent and quick when
# nothing changed: the install is skipped while requirements.txt and pyproject.toml are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.tailor-installed
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing pinned dependencies (requirements.txt)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi
# The Spark engine's packages (requirements-spark.txt), only for the spark target.
if [ "${TAILOR_TARGET:-}" = "spark" ]; then
  spark_stamp=.venv/.tailor-spark-installed
  spark_want="$(sha256sum requirements-spark.txt | cut -d' ' -f1)"
  if [ ! -f "$spark_stamp" ] || [ "$(cat "$spark_stamp")" != "$spark_want" ]; then
    echo "==> installing the Spark engine (requirements-spark.txt)"
    .venv/bin/python -m pip install --quiet -r requirements-spark.txt
    echo "$spark_want" > "$spark_stamp"
  fi
  # pyspark runs the Spark JVM: Java 17 (Debian's headless runtime) when the machine has none
  if ! command -v java >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "==> installing Java 17 (Debian) for the Spark engine"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
    else
      echo "==> java missing: install Java 17 (apt-get install openjdk-17-jre-headless) for the Spark engine" >&2
    fi
  fi
fi
# Plain `dbt build` from the repo root finds profiles/ once the venv is used (activated or .venv/bin/dbt): the
# venv's Python sets DBT_PROFILES_DIR at start-up unless it is already set.
site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
pth_line="import os; os.environ.setdefault('DBT_PROFILES_DIR', '$PWD/profiles')"
if [ "$(cat "$site/tailor_profiles.pth" 2>/dev/null)" != "$pth_line" ]; then
  echo "$pth_line" > "$site/tailor_profiles.pth"
fi
# Headless Chromium renders the HTML report in the test suite (tests/python/test_report.py).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing chromium (Debian) for the report test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "==> chromium missing: install Debian's chromium (apt-get install chromium) to run the report test" >&2
  fi
fi
