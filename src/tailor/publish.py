"""Safe publishing of the marts for BI readers.

DuckDB allows one writer or many readers of a file, never both, so BI tools must never open the build
warehouse. After a successful build the marts (and only the marts) are copied to a separate, read-only
DuckDB file and to Parquet. Both are built under temporary names and swapped in with an atomic rename, so
a reader sees either the previous version or the new one, never a mix; a reader that holds the previous
file open keeps reading it (POSIX keeps the unlinked inode alive). The previous version stays in place until
the new one is complete, then is removed, so an erased person leaves every published file on the next build
(`keep_versions` > 1 trades that guarantee for readers that list files lazily).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_DB = "tailor_marts.duckdb"
# The published file is written in DuckDB 1.0's storage format, so BI drivers that bundle an older DuckDB
# (1.0 or newer) read it; a file in DuckDB 2's own format fails there with "version number 999". docs/bi.md.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
PARQUET_LINK = "parquet"
VERSIONS_DIR = "versions"
# "no-op": exposures and other nodes `dbt build` visits without running anything.
OK_STATUSES = {"success", "pass", "warn", "skipped", "no-op"}


class PublishRefused(RuntimeError):
    """The build did not succeed, so nothing may be published."""


@dataclass(frozen=True)
class PublishResult:
    version: str
    database: Path
    parquet_dir: Path
    tables: tuple[str, ...]


def failed_nodes(run_results_path: Path) -> list[str]:
    """Nodes of the last dbt invocation that errored or failed a test (empty when the build was clean)."""
    results = json.loads(run_results_path.read_text())
    return [r["unique_id"] for r in results["results"] if r["status"] not in OK_STATUSES]


def mart_relations(manifest_path: Path) -> list[str]:
    """Names of the relations built from models under a `marts` folder, read from dbt's manifest."""
    manifest = json.loads(manifest_path.read_text())
    names = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("materialized") == "ephemeral":
            continue
        if "marts" in Path(node["original_file_path"]).parts:
            names.append(node["alias"] or node["name"])
    return sorted(names)


def check_build(target_dir: Path, warehouse: Path | None = None) -> None:
    """Refuse to publish unless the last dbt command in target_dir was a clean `dbt build` of the manifest
    there and, given `warehouse`, that build wrote that warehouse (its audit log holds the invocation)."""
    run_results = target_dir / "run_results.json"
    if not run_results.exists():
        raise PublishRefused(f"no {run_results}: run `dbt build` first")
    results = json.loads(run_results.read_text())
    command = results.get("args", {}).get("which")
    if command != "build":
        raise PublishRefused(
            f"the last dbt command in {target_dir} was `dbt {command}`, not `dbt build`: run `dbt build`, then "
            "publish (run `dbt docs generate` with another --target-path, or after publishing)"
        )
    failed = failed_nodes(run_results)
    if failed:
        shown = ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
        raise PublishRefused(f"last build had {len(failed)} failed node(s): {shown}; nothing published")
    invocation = results.get("metadata", {}).get("invocation_id")
    manifest_path = target_dir / "manifest.json"
    manifest_invocation = (
        json.loads(manifest_path.read_text()).get("metadata", {}).get("invocation_id")
        if manifest_path.exists()
        else None
    )
    if manifest_invocation != invocation:
        raise PublishRefused(
            f"{manifest_path} is not the manifest of the last build ({manifest_invocation} != {invocation}): "
            "run `dbt build` again"
        )
    if warehouse is not None and not built_by(warehouse, invocation):
        raise PublishRefused(f"{warehouse} was not written by the build in {target_dir} ({invocation})")


def built_by(warehouse: Path, invocation_id: str | None) -> bool:
    """True when the warehouse's audit log (macros/audit/audit_run_end.sql) records this dbt invocation."""
    if not warehouse.exists():
        return False
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (found,) = con.execute(
            "select count(*) from information_schema.tables where table_name = 'audit_run_log'"
        ).fetchone()
        if not found:
            return False
        (rows,) = con.execute("select count(*) from audit_run_log where invocation_id = ?", [invocation_id]).fetchone()
        return rows > 0
    finally:
        con.close()


def publish(
    warehouse: Path,
    out_dir: Path,
    tables: list[str],
    version: str | None = None,
    keep_versions: int = 1,
) -> PublishResult:
    """Copy `tables` from the build warehouse to a read-only DuckDB file and Parquet, atomically."""
    version = version or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out_dir.mkdir(parents=True, exist_ok=True)
    versions_root = out_dir / VERSIONS_DIR
    versions_root.mkdir(exist_ok=True)

    tmp_db = out_dir / f".{PUBLISHED_DB}.{version}.tmp"
    tmp_parquet = versions_root / f".{version}.tmp"
    tmp_db.unlink(missing_ok=True)
    shutil.rmtree(tmp_parquet, ignore_errors=True)
    tmp_parquet.mkdir()

    con = duckdb.connect(str(tmp_db), config={"storage_compatibility_version": PUBLISHED_STORAGE_VERSION})
    try:
        con.execute(f"attach '{warehouse}' as build (read_only)")
        for name in tables:
            con.execute(f'create table "{name}" as select * from build.main."{name}"')
            con.execute(f"copy \"{name}\" to '{tmp_parquet / (name + '.parquet')}' (format parquet)")
        con.execute(
            "create table _publication as select ?::varchar as version, ?::timestamp as published_at, "
            "?::varchar[] as tables",
            [version, datetime.now(UTC).replace(tzinfo=None), list(tables)],
        )
        con.execute("detach build")
        con.execute("checkpoint")
    finally:
        con.close()

    final_parquet = versions_root / version
    if keep_versions > 1:
        # Readers that pin a version open versions/<ver>.duckdb: a hard link to the published file, no copy.
        os.link(tmp_db, versions_root / f"{version}.duckdb")
    os.replace(tmp_parquet, final_parquet)
    # Swap the Parquet pointer first, then the database: each rename is atomic on its own.
    link_tmp = out_dir / f".{PARQUET_LINK}.{version}.tmp"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(Path(VERSIONS_DIR) / version, target_is_directory=True)
    os.replace(link_tmp, out_dir / PARQUET_LINK)
    os.replace(tmp_db, out_dir / PUBLISHED_DB)

    prune_versions(versions_root, keep_versions)
    return PublishResult(version, out_dir / PUBLISHED_DB, final_parquet, tuple(tables))


def prune_versions(versions_root: Path, keep: int) -> None:
    """Delete all but the newest `keep` versions (Parquet folders and pinned DuckDB files)."""
    complete = sorted(p for p in versions_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in complete[:-keep] if keep > 0 else complete:
        shutil.rmtree(old, ignore_errors=True)
        (versions_root / f"{old.name}.duckdb").unlink(missing_ok=True)
