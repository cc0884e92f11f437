"""Dagster recipe: run the daily job (scripts/daily.sh) on a schedule, one op, with its exit code mapped to
what failed. Runs in Dagster's own environment (scripts/dagster/requirements.txt), not the project venv:
daily.sh bootstraps and uses the project's .venv itself.

    pip install -r scripts/dagster/requirements.txt
    dagster dev -f scripts/dagster/definitions.py          # UI on http://localhost:3000

Why not dagster-dbt assets: dagster-dbt 0.29 needs sqlglot[rs], whose compiled part (sqlglotc) exists only up
to 30.30.0, below the sqlglot 30.31.0 that dbt-metricflow pins in requirements.txt; see README, "Schedule".
"""

import os
import subprocess
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[2]
# scripts/daily.sh's exit codes (see its header)
EXIT_MEANINGS = {
    1: "setup failed (bootstrap or state file)",
    2: "landing check failed: nothing was built; fix the files or TAILOR_ABSENT_SOURCES",
    3: "dbt build failed: nothing was published; BI keeps the previous version",
    4: "publish failed: the build is good; rerun `tailor publish`",
    5: "report failed: the new version is published; only the HTML report is stale",
}


@dg.op
def daily_build(context: dg.OpExecutionContext) -> None:
    """Check, incremental build, publish, report; streams the job's log into Dagster's."""
    process = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "daily.sh")], cwd=REPO, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        context.log.info(line.rstrip())
    code = process.wait()
    if code != 0:
        raise dg.Failure(description=f"scripts/daily.sh exited {code}: {EXIT_MEANINGS.get(code, 'unknown')}",
                         metadata={"exit_code": code})


@dg.job
def tailor_daily() -> None:
    daily_build()


defs = dg.Definitions(
    jobs=[tailor_daily],
    schedules=[dg.ScheduleDefinition(job=tailor_daily, cron_schedule="30 5 * * *", execution_timezone="UTC")],
)
