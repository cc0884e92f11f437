"""The recommender's fit stays across identity merges (docs/recommendations.md, "Refit cadence"): build the
tiny dataset on a refit day, land the next day (its identity links merge a person the fit trained on into
another), build incrementally, then rebuild the recommender's stateful models from nothing at the same date.
The merge day does not refit (same input fingerprint, same factors), the merged person is folded in and
rescored, and the rebuild from nothing gives the same rows."""

from __future__ import annotations

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

REPO = Path(__file__).resolve().parents[2]
SCALE = "tiny"
SELECTOR = "+fct_recommendations"
STATEFUL = "int_recommendation_factors_fitted int_recommendations_scored fct_recommendations"
COMPARED = (
    "int_identifiers_resolved_at_refit",
    "int_recommendation_refit_fingerprinted",
    "int_recommendation_factors_fitted",
    "int_recommendation_persons_changed",
    "int_recommendations_scored",
    "fct_recommendations",
)
STEP_TIMEOUT_S = 600


@dataclass(frozen=True)
class MergeBuilds:
    refit_day: Path
    merge_day: Path
    rebuilt: Path


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _build_vars(end_date: str) -> str:
    """A cadence on which the generator's last day is a refit date (any N dividing its distance to the
    anchor; the distance itself when nothing smaller does), and monitoring thresholds no run reaches."""
    from datetime import date

    from tailor.recommend.cadence import REFIT_EPOCH, cadence_refit_date

    end = date.fromisoformat(end_date)
    days = (end - REFIT_EPOCH).days
    every = next(n for n in range(2, days + 1) if days % n == 0)
    assert cadence_refit_date(end, every) == end
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]["tailor"]
    recommendations = {**project["recommendations"], "refit_every_days": every}
    return json.dumps(
        {"recommendations": recommendations, "monitoring_psi_threshold": 1e9, "monitoring_ndcg_drop_share": 1.0}
    )


@pytest.fixture(scope="module")
def merge_builds(tmp_path_factory: pytest.TempPathFactory) -> MergeBuilds:
    work = tmp_path_factory.mktemp("refit_identity")
    data = work / "data"
    warehouse = work / "warehouse.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "TAILOR_LANDING": str(data / "landing" / SCALE),
        "TAILOR_PII_SALT": os.environ.get("TAILOR_PII_SALT", "ci-test-salt"),
        "TAILOR_DUCKDB_PATH": str(warehouse),
    }
    _run([_tool("tailor"), "generate", "--scale", SCALE, "--out", str(data), "--quiet"], env)
    manifest = json.loads((data / "truth" / SCALE / "manifest.json").read_text())
    dbt_args = ["--target", "ci", "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    dbt_args += ["--vars", _build_vars(manifest["end_date"])]
    build = [_tool("dbt"), "build", "--resource-type", "seed", "--resource-type", "model"]

    _run(build + ["--select", SELECTOR] + dbt_args, env)
    refit_day = work / "refit_day.duckdb"
    shutil.copy(warehouse, refit_day)
    _run([_tool("tailor"), "land-day", "--scale", SCALE, "--out", str(data)], env)
    _run(build + ["--select", SELECTOR] + dbt_args, env)
    merge_day = work / "merge_day.duckdb"
    shutil.copy(warehouse, merge_day)
    # the recommender's stateful models from nothing, on the same upstream tables and date
    _run(build + ["--select", STATEFUL, "--full-refresh"] + dbt_args, env)
    return MergeBuilds(refit_day, merge_day, warehouse)


def _attached(**databases: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, path in databases.items():
        con.execute(f"attach '{path}' as {name} (read_only)")
    return con


def _merged_trained_persons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(person at the refit, person today) of identifiers the merge day regrouped whose person at the refit
    was trained (has factors in the refit day's fit)."""
    return con.execute(
        """select distinct at_refit.person_id, today.person_id
           from merge_day.main.int_identifiers_resolved_at_refit as at_refit
           inner join merge_day.main.int_identifiers_retained as today
               on at_refit.identifier_type = today.identifier_type
               and at_refit.identifier_value = today.identifier_value
           where at_refit.person_id != today.person_id
               and at_refit.person_id in (
                   select person_id from refit_day.main.int_recommendation_factors_fitted
                   where person_id is not null)
           order by 1, 2"""
    ).fetchall()


def test_a_merge_of_a_trained_person_does_not_refit(merge_builds: MergeBuilds) -> None:
    with _attached(merge_day=merge_builds.merge_day, refit_day=merge_builds.refit_day) as con:
        merged = _merged_trained_persons(con)
        [(same_refit, same_input)] = con.execute(
            """select today.refit_at = refit_day.refit_at, today.input_fingerprint = refit_day.input_fingerprint
               from merge_day.main.int_recommendation_refit_fingerprinted as today
               cross join refit_day.main.int_recommendation_refit_fingerprinted as refit_day"""
        ).fetchall()
        fit_sql = "select item_id, factors, fit_id from {}.main.int_recommendation_factors_fitted where item_id > ''"
        [(differing_items,)] = con.execute(
            f"select count(*) from ({fit_sql.format('merge_day')} except {fit_sql.format('refit_day')})"
        ).fetchall()
    # the generated day merges a trained person (the identity truth plants links every day)
    assert merged, "the landed day merged no person the refit trained on"
    assert same_refit and same_input and differing_items == 0


def test_the_merged_person_is_folded_in_and_rescored(merge_builds: MergeBuilds) -> None:
    with _attached(merge_day=merge_builds.merge_day, refit_day=merge_builds.refit_day) as con:
        merged = _merged_trained_persons(con)
        for at_refit, today in merged:
            reasons = con.execute(
                "select change_reasons from merge_day.main.int_recommendation_persons_changed where person_id = ?",
                [today],
            ).fetchall()
            assert reasons and "identity_change" in reasons[0][0].split(",")
            rows = con.execute(
                """select count(*), count(*) filter (where scored_at > factors_fitted_at)
                   from merge_day.main.fct_recommendations where person_id = ?""",
                [today],
            ).fetchall()[0]
            assert rows[0] > 0 and rows[0] == rows[1]
            # the absorbed person leaves the rows and the factors
            for table in ("fct_recommendations", "int_recommendation_factors_fitted"):
                gone = con.execute(
                    f"select count(*) from merge_day.main.{table} where person_id = ?", [at_refit]
                ).fetchall()
                assert gone == [(0,)]
        # everyone not rescored keeps the refit day's rows exactly
        rows_sql = "select person_id, rank, item_id, score, rec_source, fit_id from {}.main.int_recommendations_scored"
        [(kept, kept_differing)] = con.execute(
            f"""select (select count(*) from merge_day.main.int_recommendations_scored
                        where scored_at = factors_fitted_at),
                       (select count(*) from ({rows_sql.format("merge_day")} where scored_at = factors_fitted_at
                        except {rows_sql.format("refit_day")}))"""
        ).fetchall()
    assert kept > 0 and kept_differing == 0


@pytest.mark.parametrize("table", COMPARED)
def test_a_rebuild_from_nothing_at_the_merge_date_reproduces_it(merge_builds: MergeBuilds, table: str) -> None:
    with _attached(merge_day=merge_builds.merge_day, rebuilt=merge_builds.rebuilt) as con:
        rows = con.execute(f"select count(*) from merge_day.main.{table}").fetchall()[0][0]
        differing = [
            con.execute(
                f"select count(*) from (select * from {a}.main.{table} except all select * from {b}.main.{table})"
            ).fetchall()[0][0]
            for a, b in (("merge_day", "rebuilt"), ("rebuilt", "merge_day"))
        ]
    assert rows > 0 and differing == [0, 0]
