"""Publishing: atomic swap, refusal after a failed build, and a reader that holds the file open."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tailor.publish import PUBLISHED_DB, PublishRefused, check_build, mart_relations, publish


def make_warehouse(path: Path, version: int, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create or replace table dim_a as select ? as version, range as id from range(?)", [version, rows])
    con.execute("create or replace table fct_b as select ? as version, range as id from range(?)", [version, rows])
    con.execute("create or replace table stg_secret as select 'alice@example.com' as email")
    con.close()


def test_publish_copies_only_named_tables_and_parquet(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    make_warehouse(wh, 1, 10)
    result = publish(wh, tmp_path / "pub", ["dim_a", "fct_b"], version="v1")
    con = duckdb.connect(str(result.database), read_only=True)
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert names == {"dim_a", "fct_b", "_publication"}
    assert con.execute("select count(*) from dim_a").fetchone()[0] == 10
    con.close()
    parquet = tmp_path / "pub" / "parquet" / "fct_b.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall() == [(10,)]


def test_reader_holding_old_version_sees_old_then_new_reader_sees_new(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    out = tmp_path / "pub"
    make_warehouse(wh, 1, 100)
    publish(wh, out, ["dim_a", "fct_b"], version="v1")
    reader = duckdb.connect(str(out / PUBLISHED_DB), read_only=True)
    old_parquet = (out / "parquet").resolve()

    make_warehouse(wh, 2, 200)  # a new build while the reader is open
    publish(wh, out, ["dim_a", "fct_b"], version="v2")

    # The open reader sees one consistent version: the old one, in every table.
    seen = reader.execute("select distinct version from dim_a union select distinct version from fct_b").fetchall()
    assert seen == [(1,)]
    assert reader.execute("select count(*) from fct_b").fetchone()[0] == 100
    reader.close()
    assert not old_parquet.exists(), "previous Parquet version removed once the new one is complete"

    fresh = duckdb.connect(str(out / PUBLISHED_DB), read_only=True)
    versions = fresh.execute("select distinct version from dim_a union select distinct version from fct_b")
    assert versions.fetchall() == [(2,)]
    assert fresh.execute("select version from _publication").fetchone()[0] == "v2"
    fresh.close()
    parquet_now = duckdb.sql(f"select distinct version from '{out / 'parquet' / 'fct_b.parquet'}'")
    assert parquet_now.fetchall() == [(2,)]


def test_old_versions_pruned(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    make_warehouse(wh, 1, 5)
    for v in ("v1", "v2", "v3"):
        publish(wh, tmp_path / "pub", ["dim_a"], version=v)
    assert sorted(p.name for p in (tmp_path / "pub" / "versions").iterdir()) == ["v3"]
    publish(wh, tmp_path / "pub", ["dim_a"], version="v4", keep_versions=2)
    assert sorted(p.name for p in (tmp_path / "pub" / "versions").iterdir()) == ["v3", "v4", "v4.duckdb"]


def write_run_results(
    target: Path, statuses: list[str], command: str = "build", invocation: str = "inv-1", manifest_of: str = "inv-1"
) -> None:
    """run_results.json and manifest.json as dbt leaves them (`manifest_of`: the invocation that wrote it)."""
    target.mkdir(parents=True, exist_ok=True)
    results = [{"unique_id": f"model.tailor.m{i}", "status": s} for i, s in enumerate(statuses)]
    run_results = {"metadata": {"invocation_id": invocation}, "args": {"which": command}, "results": results}
    (target / "run_results.json").write_text(json.dumps(run_results))
    (target / "manifest.json").write_text(json.dumps({"metadata": {"invocation_id": manifest_of}, "nodes": {}}))


def test_refuses_after_failed_test(tmp_path: Path) -> None:
    write_run_results(tmp_path, ["success", "pass", "fail"])
    with pytest.raises(PublishRefused, match="1 failed node"):
        check_build(tmp_path)
    write_run_results(tmp_path, ["success", "error"])
    with pytest.raises(PublishRefused):
        check_build(tmp_path)
    write_run_results(tmp_path, ["success", "pass", "warn"])
    check_build(tmp_path)


def test_refuses_when_the_last_command_was_not_a_build_of_this_manifest(tmp_path: Path) -> None:
    """A failed build followed by `dbt docs generate` leaves a clean run_results.json: still refused."""
    write_run_results(tmp_path, ["success"], command="generate", invocation="inv-2", manifest_of="inv-2")
    with pytest.raises(PublishRefused, match="was `dbt generate`, not `dbt build`"):
        check_build(tmp_path)
    write_run_results(tmp_path, ["success"], invocation="inv-3", manifest_of="inv-4")
    with pytest.raises(PublishRefused, match="not the manifest of the last build"):
        check_build(tmp_path)


def test_refuses_a_warehouse_the_build_did_not_write(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    make_warehouse(wh, 1, 5)
    write_run_results(tmp_path / "target", ["success"], invocation="inv-9", manifest_of="inv-9")
    with pytest.raises(PublishRefused, match="was not written by the build"):
        check_build(tmp_path / "target", wh)
    con = duckdb.connect(str(wh))
    con.execute("create table audit_run_log as select 'inv-9' as invocation_id")
    con.close()
    check_build(tmp_path / "target", wh)


def test_kept_versions_stay_readable_as_pinned_duckdb_files(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    out = tmp_path / "pub"
    for version in (1, 2, 3):
        make_warehouse(wh, version, 5)
        publish(wh, out, ["dim_a"], version=f"v{version}", keep_versions=2)
    assert sorted(p.name for p in (out / "versions").iterdir()) == ["v2", "v2.duckdb", "v3", "v3.duckdb"]
    pinned = duckdb.connect(str(out / "versions" / "v2.duckdb"), read_only=True)
    assert pinned.execute("select distinct version from dim_a").fetchall() == [(2,)]
    pinned.close()
    current = duckdb.connect(str(out / PUBLISHED_DB), read_only=True)
    assert current.execute("select version from _publication").fetchone()[0] == "v3"
    current.close()


def test_mart_relations_reads_marts_folder_only(tmp_path: Path) -> None:
    def node(name: str, path: str, materialized: str = "table") -> dict:
        return {
            "resource_type": "model",
            "name": name,
            "alias": name,
            "original_file_path": path,
            "config": {"materialized": materialized},
        }

    nodes = {
        "a": node("dim_x", "models/marts/profiles/dim_x.sql"),
        "b": node("stg_y", "models/staging/crm/stg_y.sql", "view"),
        "c": node("fct_z", "models/marts/recs/fct_z.sql"),
        "d": {"resource_type": "test", "name": "t", "original_file_path": "models/marts/x.yml", "config": {}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    assert mart_relations(tmp_path / "manifest.json") == ["dim_x", "fct_z"]


def test_published_file_uses_the_storage_format_older_clients_read(tmp_path: Path) -> None:
    """A DuckDB 1.x BI driver fails on DuckDB 2's own format ("version number 999"); docs/bi.md."""
    from tailor.publish import PUBLISHED_STORAGE_VERSION

    wh = tmp_path / "wh.duckdb"
    make_warehouse(wh, 1, 5)
    result = publish(wh, tmp_path / "pub", ["dim_a"], version="v1")
    con = duckdb.connect(str(result.database), read_only=True)
    (tags,) = con.execute(
        "select tags from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    con.close()
    assert tags["storage_version"].startswith(PUBLISHED_STORAGE_VERSION)
