"""The recommender's refit cadence on real builds: build the tiny dataset on a refit day, land the next day
(with a consent revocation added), build incrementally (a fold-in day: the stored fit is kept, changed
persons are folded in), then fully refresh a copy of that warehouse at the same date and compare: the same
refit date, factors, persons rescored and rows (docs/recommendations.md, "Refit cadence")."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from tailor.recommend.cadence import REFIT_EPOCH, cadence_refit_date

REPO = Path(__file__).resolve().parents[2]
SCALE = "tiny"
SELECTOR = "+fct_recommendations"
RECOMMENDER = (
    "int_recommendation_refit_planned int_recommendation_refit_fingerprinted int_recommendation_factors_fitted"
    " int_recommendation_persons_changed int_recommendations_scored fct_recommendations"
)
COMPARED = (
    "int_recommendation_refit_planned",
    "int_recommendation_refit_fingerprinted",
    "int_recommendation_factors_fitted",
    "int_recommendation_persons_changed",
    "int_recommendations_scored",
    "fct_recommendations",
)
STEP_TIMEOUT_S = 600


@dataclass(frozen=True)
class CadenceBuilds:
    refit_day: Path
    incremental: Path
    full_refresh: Path
    refit_every_days: int
    revoked_person: str


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _every_days_for(refit_day: dt.date) -> int:
    """A cadence (>= 2 days) on which `refit_day` is a refit date, so the day after it is a fold-in day."""
    days = (refit_day - REFIT_EPOCH).days
    every = next(n for n in range(2, days + 1) if days % n == 0)
    assert cadence_refit_date(refit_day, every) == refit_day
    assert cadence_refit_date(refit_day + dt.timedelta(days=1), every) == refit_day
    return every


def _build_vars(every_days: int) -> str:
    """The project's recommendations var with the test's cadence; monitoring thresholds no run can reach, so
    the retraining flag (unit-tested in test_recommend_cadence) does not move the refit date here."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
    recommendations = {**project["recommendations"], "refit_every_days": every_days}
    return json.dumps(
        {"recommendations": recommendations, "monitoring_psi_threshold": 1e9, "monitoring_ndcg_drop_share": 1.0}
    )


def _revoke_consent(landing: Path, db: Path, landed_day: str) -> str:
    """Land a personalization revocation on the new day for a person served by a personal model: they must be
    rescored from popularity. Returns their person id."""
    with duckdb.connect(str(db), read_only=True) as con:
        person, user = con.execute(
            """
            select recs.person_id, identifiers.identifier_value
            from main.fct_recommendations as recs
            inner join main.int_identifiers_retained as identifiers
                on recs.person_id = identifiers.person_id and identifiers.identifier_type = 'user_id'
            where recs.rec_source = 'hybrid'
            order by recs.person_id, identifiers.identifier_value
            limit 1
            """
        ).fetchall()[0]
    events = landing / "privacy" / "consent_events" / "consent_events.parquet"
    revised = events.with_suffix(".tmp")
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select * from read_parquet('{events}')
                union all
                (select * replace (
                    'revoked-' || consent_event_id as consent_event_id,
                    null as anonymous_id,
                    '{user}' as user_id,
                    'personalization' as purpose,
                    'revoked' as status,
                    '{landed_day}T12:00:00.000Z' as occurred_at
                )
                from read_parquet('{events}')
                where user_id is not null and consent_event_id is not null
                order by consent_event_id
                limit 1)
            ) to '{revised}' (format parquet)
            """
        )
    revised.replace(events)
    return person


@pytest.fixture(scope="module")
def cadence_builds(tmp_path_factory: pytest.TempPathFactory) -> CadenceBuilds:
    work = tmp_path_factory.mktemp("refit_cadence")
    data = work / "data"
    landing = data / "landing" / SCALE
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "TAILOR_LANDING": str(landing),
        "TAILOR_PII_SALT": os.environ.get("TAILOR_PII_SALT", "ci-test-salt"),
    }
    _run([_tool("tailor"), "generate", "--scale", SCALE, "--out", str(data), "--quiet"], env)
    manifest = json.loads((data / "truth" / SCALE / "manifest.json").read_text())
    every_days = _every_days_for(dt.date.fromisoformat(manifest["end_date"]))
    dbt_args = [
        "--target",
        "ci",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        _build_vars(every_days),
    ]
    build = [_tool("dbt"), "build", "--select", SELECTOR, "--resource-type", "seed", "--resource-type", "model"]
    warehouse = work / "warehouse.duckdb"
    env = {**env, "TAILOR_DUCKDB_PATH": str(warehouse)}

    _run(build + dbt_args, env)
    refit_day = work / "refit_day.duckdb"
    shutil.copy(warehouse, refit_day)
    landed = subprocess.run(
        [_tool("tailor"), "land-day", "--scale", SCALE, "--out", str(data)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=STEP_TIMEOUT_S,
    )
    revoked = _revoke_consent(landing, warehouse, landed.stdout.split()[1].removeprefix("dt="))
    _run(build + dbt_args, env)
    # the recommender's tests, on the fold-in day's tables
    _run(
        [
            _tool("dbt"),
            "test",
            "--select",
            RECOMMENDER,
            "--indirect-selection",
            "cautious",
            "--exclude",
            "test_type:unit",
        ]
        + dbt_args,
        env,
    )
    incremental = warehouse.rename(work / "incremental.duckdb")

    # a full refresh of the same warehouse at the same date: the stateful models start from nothing
    shutil.copy(incremental, warehouse)
    _run(build + ["--full-refresh"] + dbt_args, env)
    full_refresh = warehouse.rename(work / "full_refresh.duckdb")
    return CadenceBuilds(refit_day, incremental, full_refresh, every_days, revoked)


def _rows(db: Path, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def test_refit_day_fits_and_scores_everyone_at_the_refit(cadence_builds: CadenceBuilds) -> None:
    [(reason, fitted_at, as_of)] = _rows(
        cadence_builds.refit_day, "select refit_reason, refit_at, as_of_at from main.int_recommendation_refit_planned"
    )
    assert reason == "cadence"
    assert fitted_at == dt.datetime.combine(as_of.date() + dt.timedelta(days=1), dt.time())
    [(kept, rescored, other_fit)] = _rows(
        cadence_builds.refit_day,
        """select count(*) filter (where scored_at = factors_fitted_at),
                  count(*) filter (where scored_at > factors_fitted_at),
                  count(*) filter (where factors_fitted_at != planned.refit_at)
           from main.fct_recommendations cross join main.int_recommendation_refit_planned as planned""",
    )
    assert kept > 0 and other_fit == 0
    # only rows the refit scored from popularity are rescored with the day's data
    [(personal_rescored,)] = _rows(
        cadence_builds.refit_day,
        """select count(*) from main.fct_recommendations
           where scored_at > factors_fitted_at and person_id in (
               select person_id from main.fct_recommendations where is_personalized
               group by person_id having count(*) = count(*) filter (where scored_at > factors_fitted_at))""",
    )
    assert personal_rescored == 0


def _attached(**databases: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, path in databases.items():
        con.execute(f"attach '{path}' as {name} (read_only)")
    return con


def test_fold_in_day_keeps_the_refit_and_rescores_only_changed_persons(cadence_builds: CadenceBuilds) -> None:
    with _attached(today=cadence_builds.incremental, refit_day=cadence_builds.refit_day) as con:
        [(same_refit, same_input, today_later)] = con.execute(
            """select today.refit_at = refit_day.refit_at, today.input_fingerprint = refit_day.input_fingerprint,
                      (select as_of_at from today.main.int_recommendation_refit_planned) > today.refit_at
               from today.main.int_recommendation_refit_fingerprinted as today
               cross join refit_day.main.int_recommendation_refit_fingerprinted as refit_day"""
        ).fetchall()
        [(kept, rescored, changed, not_rescored_changed)] = con.execute(
            """select count(distinct person_id) filter (where scored_at = factors_fitted_at),
                      count(distinct person_id) filter (where scored_at > factors_fitted_at),
                      (select count(*) from today.main.int_recommendation_persons_changed),
                      count(distinct person_id) filter (where scored_at = factors_fitted_at and person_id in (
                          select person_id from today.main.int_recommendation_persons_changed))
               from today.main.fct_recommendations"""
        ).fetchall()
        fit_sql = "select item_id, factors from {}.main.int_recommendation_factors_fitted where item_id is not null"
        factors_equal = (
            con.execute(
                f"select count(*) from ({fit_sql.format('today')} except {fit_sql.format('refit_day')})"
            ).fetchall()[0][0]
            == 0
        )
        rows_sql = "select person_id, rank, item_id, score, rec_source from {}.main.fct_recommendations where {}"
        kept_rows_differing = con.execute(
            f"""select count(*) from ({rows_sql.format("today", "scored_at = factors_fitted_at")}
                except {rows_sql.format("refit_day", "true")})"""
        ).fetchall()[0][0]
    assert same_refit and today_later
    assert kept > 0 and changed > 0 and rescored >= changed and not_rescored_changed == 0
    # the same input read at the same refit date: the same fit and, for persons not rescored, the same rows;
    # a changed input (an identity link regrouping training rows, an erasure, a late row) refits the same date
    assert factors_equal == same_input
    if same_input:
        assert kept_rows_differing == 0


def test_a_revoked_person_is_rescored_from_popularity(cadence_builds: CadenceBuilds) -> None:
    rows = _rows(
        cadence_builds.incremental,
        f"""select rec_source, scored_at > factors_fitted_at
            from main.fct_recommendations where person_id = '{cadence_builds.revoked_person}'""",
    )
    assert rows and all(source == "global_popularity" and rescored for source, rescored in rows)
    assert _rows(
        cadence_builds.incremental,
        "select count(*) from main.int_recommendation_factors_fitted where person_id = ?",
        [cadence_builds.revoked_person],
    ) == [(0,)]


@pytest.mark.parametrize("table", COMPARED)
def test_full_refresh_at_the_same_date_reproduces_the_incremental_build(
    cadence_builds: CadenceBuilds, table: str
) -> None:
    with duckdb.connect() as con:
        con.execute(f"attach '{cadence_builds.incremental}' as incremental (read_only)")
        con.execute(f"attach '{cadence_builds.full_refresh}' as full_refresh (read_only)")
        rows = con.execute(f"select count(*) from incremental.main.{table}").fetchall()[0][0]
        only_incremental, only_full = (
            con.execute(
                f"select count(*) from (select * from {a}.main.{table} except all select * from {b}.main.{table})"
            ).fetchall()[0][0]
            for a, b in (("incremental", "full_refresh"), ("full_refresh", "incremental"))
        )
    assert rows > 0
    assert (only_incremental, only_full) == (0, 0)
