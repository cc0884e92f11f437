"""Pipeline checks of privacy end to end: erasure reaches every model, snapshot and published file; consent
governs training data and served recommendations; no raw PII exists past staging.

They read the built warehouse (TAILOR_DUCKDB_PATH), its planted truth (TAILOR_TRUTH) and landing files
(TAILOR_LANDING), and publish the marts into a temporary folder from the dbt target dir of that build
(TAILOR_TARGET_DIR). Each check skips, saying why, when something it needs is missing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from tailor.identity.evaluate import pii_salt, pseudonymize, read_truth_identifiers, truth_in_warehouse_terms
from tailor.landing import table as landing_table
from tailor.privacy.salt import set_session_salt
from tailor.publish import PUBLISHED_DB, check_build, mart_relations, publish

# The relations that hold erased persons' identifiers by design, and only as pseudonymous tombstones: the
# erasure lists (every identifier of an erased person, the person and the request) and the store of applied
# tombstones (a system table, macros/privacy/erasure.sql). Never published (a dbt test keeps them out of marts).
TOMBSTONES = frozenset({"int_erasure_tombstones", "int_persons_erased", "erasure_tombstones_applied"})
# Column name -> identifier type, as the dbt test no_erased_persons detects them.
IDENTIFIER_COLUMNS = {
    "user_id": "user_id",
    "customer_id": "user_id",
    "anonymous_id": "anonymous_id",
    "email_hash": "email_hash",
    "crm_contact_id": "crm_contact_id",
    "contact_id": "crm_contact_id",
}
IDENTIFIER_PAIR_PREFIXES = ("identifier_", "left_", "right_")
# (type column, value column) pairs named otherwise: experiment assignments name their unit by type.
IDENTIFIER_PAIRS = (("unit_type", "unit_id"),)
# Mirrors macros/privacy/data_protection.sql (raw_pii_column_names, pii_value_patterns).
RAW_PII_COLUMN_NAMES = frozenset(
    {
        "email", "e_mail", "email_address", "customer_email", "emailaddress", "phone", "phone_number",
        "phonenumber", "mobile", "mobile_phone", "telephone", "first_name", "firstname", "last_name", "lastname",
        "surname", "full_name", "fullname", "given_name", "family_name", "birthdate", "birth_date",
        "date_of_birth", "dob", "birth_year", "ip", "ip_address", "user_agent", "context_user_agent", "address",
        "street", "street_address", "postal_code", "postcode", "zip", "zip_code", "city", "mailing_city",
        "mailingcity", "mailing_street", "ssn", "national_id", "passport_number", "iban", "credit_card",
    }
)  # fmt: skip
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_PATTERN = (
    r"(^|[^0-9A-Za-z_.-])"
    r"(\+?\(?[0-9]([ ()-]{0,2}[0-9]){9,14}|[0-9]{3,4}\.[0-9]{3,4}\.[0-9]{4}|[0-9]{2}(\.[0-9]{2}){4})"
    r"($|[^0-9A-Za-z_:-])"
)
# Seeds are reference data written by hand (the identity blocklist lists public placeholder inboxes).
SEEDS = frozenset(p.stem for p in (Path(__file__).resolve().parents[2] / "seeds").glob("*.csv"))
GLOBAL_REC_SOURCE = "global_popularity"
# Truth and warehouse timestamps may differ by rounding of the last millisecond.
CLOCK_TOLERANCE = pd.Timedelta(milliseconds=1)


@dataclass(frozen=True)
class Relation:
    """A table or view with its lower-cased column names and types."""

    schema: str
    name: str
    columns: dict[str, str]

    @property
    def ref(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set")
    return Path(value)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory session with the warehouse attached read-only as `wh`, free to hold temporary tables."""
    path = _env_path("TAILOR_DUCKDB_PATH")
    if not path.exists():
        pytest.skip(f"no warehouse at {path}: build it first")
    session = duckdb.connect()
    set_session_salt(session, pii_salt())  # staging views pseudonymize with the session's salt
    session.execute(f"attach '{path}' as wh (read_only)")
    if not has_table(session, "wh", "int_persons_erased"):
        session.close()
        pytest.skip("int_persons_erased is not built: build the whole project first")
    yield session
    session.close()


@pytest.fixture(scope="module")
def truth_dir() -> Path:
    path = _env_path("TAILOR_TRUTH")
    if not (path / "persons.parquet").exists():
        pytest.skip(f"no planted truth at {path}")
    return path


def has_table(con: duckdb.DuckDBPyConnection, database: str, name: str) -> bool:
    found = con.sql(
        f"select 1 from information_schema.tables where table_catalog = '{database}' and table_name = '{name}'"
    )
    return bool(found.fetchall())


def relations(con: duckdb.DuckDBPyConnection, database: str) -> list[Relation]:
    """Every table and view of `database` in the schema holding the models (test-failure tables excluded)."""
    in_database = f"table_catalog = '{database}'"
    schema = con.sql(
        f"select table_schema from information_schema.tables where {in_database} and table_name = 'fct_interactions'"
    ).fetchall()
    schema_filter = f" and table_schema = '{schema[0][0]}'" if schema else ""
    rows = con.sql(
        "select table_schema, table_name, lower(column_name), data_type from information_schema.columns "
        f"where {in_database}{schema_filter} order by table_name, ordinal_position"
    ).fetchall()
    found: dict[tuple[str, str], dict[str, str]] = {}
    for table_schema, table_name, column, data_type in rows:
        found.setdefault((table_schema, table_name), {})[column] = data_type.upper()
    return [Relation(s, n, cols) for (s, n), cols in found.items()]


def outside_tombstones(relations_: list[Relation]) -> list[Relation]:
    """Every relation but the tombstones: staging views and their stored base tables, the identity graph,
    intermediates, marts, the snapshot."""
    return [r for r in relations_ if r.name not in TOMBSTONES]


def person_columns(relation: Relation) -> list[str]:
    return [c for c in relation.columns if c == "person_id" or c.endswith("_person_id") or c == "experiment_unit_id"]


def identifier_checks(relation: Relation) -> list[tuple[str, str]]:
    """(value column, SQL for its identifier type) for each identifier column or type/value pair."""
    checks = [(c, f"'{t}'") for c, t in IDENTIFIER_COLUMNS.items() if c in relation.columns]
    for prefix in IDENTIFIER_PAIR_PREFIXES:
        if f"{prefix}type" in relation.columns and f"{prefix}value" in relation.columns:
            checks.append((f"{prefix}value", f'cast(checked."{prefix}type" as varchar)'))
    for type_column, value_column in IDENTIFIER_PAIRS:
        if type_column in relation.columns and value_column in relation.columns:
            checks.append((value_column, f'cast(checked."{type_column}" as varchar)'))
    return checks


def text_columns(relation: Relation) -> list[str]:
    return [c for c, t in relation.columns.items() if "VARCHAR" in t or "TEXT" in t]


def leaks_of_erased(con: duckdb.DuckDBPyConnection, relation_sql: str, relation: Relation) -> dict[str, int]:
    """Rows per column of `relation` holding an erased person or a tombstoned identifier."""
    found = {}
    for column in person_columns(relation):
        n = con.sql(
            f'select count(*) from {relation_sql} where cast("{column}" as varchar) in '
            "(select person_id from erased_person_ids)"
        ).fetchall()[0][0]
        if n:
            found[column] = n
    for column, type_sql in identifier_checks(relation):
        n = con.sql(
            f"select count(*) from {relation_sql} as checked inner join erased_identifiers as erased "
            f'on cast(checked."{column}" as varchar) = erased.identifier_value and {type_sql} = erased.identifier_type'
        ).fetchall()[0][0]
        if n:
            found[column] = n
    if "raw_record" in relation.columns:
        n = con.sql(
            f"select count(*) from {relation_sql} as checked where exists (select 1 from erased_identifiers as erased "
            "where length(erased.identifier_value) >= 6 and contains(cast(checked.raw_record as varchar), "
            "erased.identifier_value))"
        ).fetchall()[0][0]
        if n:
            found["raw_record"] = n
    return found


def pii_hits(con: duckdb.DuckDBPyConnection, relation_sql: str, relation: Relation) -> dict[str, str]:
    """Raw PII found in `relation`: column names, email/phone patterns, and raw landing values."""
    found = {c: "raw PII column name" for c in relation.columns if c in RAW_PII_COLUMN_NAMES}
    for column in text_columns(relation):
        value = f'cast("{column}" as varchar)'
        checks = {
            "email pattern": f"regexp_matches({value}, '{EMAIL_PATTERN}')",
            "phone pattern": f"regexp_matches({value}, '{PHONE_PATTERN}')",
        }
        if "[]" not in relation.columns[column]:
            checks["raw landing value"] = f"lower(trim({value})) in (select pii_value from raw_pii_values)"
        for label, condition in checks.items():
            if con.sql(f"select count(*) from {relation_sql} where {condition}").fetchall()[0][0]:
                found[column] = label
    return found


@pytest.fixture(scope="module")
def truth_keyed(truth_dir: Path) -> pd.DataFrame:
    """Truth identifiers in warehouse terms (emails pseudonymized with the build's salt), with owners."""
    salt = pii_salt()
    return truth_in_warehouse_terms(read_truth_identifiers(truth_dir), lambda value: pseudonymize(value, salt))


@pytest.fixture(scope="module")
def erased(con: duckdb.DuckDBPyConnection, truth_dir: Path, truth_keyed: pd.DataFrame) -> pd.DataFrame:
    """Truth identifiers of erased persons as the warehouse tombstones them; registers `erased_person_ids`
    (from the truth) and `erased_identifiers` (every tombstone) for the scans."""
    persons = pd.read_parquet(truth_dir / "persons.parquet")
    erased_keys = set(persons.loc[persons["is_erased"].fillna(False).astype(bool), "person_key"].astype(str))
    if not erased_keys:
        pytest.skip("the truth plants no erased person")
    keyed = truth_keyed[truth_keyed["person_key"].astype(str).isin(erased_keys)]
    tombstones = con.sql("select identifier_type, identifier_value, person_id from wh.int_erasure_tombstones").df()
    mapped = keyed.merge(tombstones, on=["identifier_type", "identifier_value"], how="left")
    con.register("erased_person_ids_df", mapped.dropna(subset=["person_id"])[["person_id"]].drop_duplicates())
    con.execute("create or replace temp table erased_person_ids as select * from erased_person_ids_df")
    con.execute(
        "create or replace temp table erased_identifiers as "
        "select identifier_type, identifier_value from wh.int_erasure_tombstones"
    )
    return mapped


@pytest.fixture(scope="module")
def raw_pii(con: duckdb.DuckDBPyConnection) -> int:
    """Registers `raw_pii_values`: every raw email, phone, full name, birthdate and city in the landing files."""
    landing = _env_path("TAILOR_LANDING")

    def files(source: str, name: str) -> str:
        return str(landing / landing_table(source, name).path)

    contacts = f"read_parquet('{files('crm', 'contacts')}', union_by_name = true)"
    con.execute(
        f"""
        create or replace temp table raw_pii_values as
        with values_ as (
            select Email as v from {contacts}
            union all select Phone from {contacts}
            union all select regexp_replace(Phone, '[^0-9]', '', 'g') from {contacts}
            union all select FirstName || ' ' || LastName from {contacts}
            union all select Birthdate from {contacts}
            union all select MailingCity from {contacts}
            union all select email from read_parquet('{files("web", "identifies")}', union_by_name = true)
            union all select email from read_parquet('{files("commerce", "orders")}', union_by_name = true)
            union all select customer_email from read_parquet('{files("support", "tickets")}', union_by_name = true)
        )
        select distinct lower(trim(v)) as pii_value from values_ where length(trim(v)) >= 4
        """
    )
    return con.sql("select count(*) from raw_pii_values").fetchall()[0][0]


def test_every_erased_truth_person_is_tombstoned(con: duckdb.DuckDBPyConnection, erased: pd.DataFrame) -> None:
    """Each planted erasure reaches its person, and through the identity graph more than the one identifier
    the request named. An identifier the graph never linked to the person (a device seen alone) cannot be
    attributed to them and stays a pseudonymous person of its own."""
    per_person = erased.groupby("person_key")["person_id"].agg(lambda ids: ids.notna().sum())
    untouched = sorted(per_person[per_person < 1].index)
    assert not untouched, f"erased truth persons without any tombstone: {untouched}"
    assert (per_person >= 2).any(), "erasure reached only the requested identifiers, not whole persons"
    requests = con.sql("select count(*) from wh.stg_privacy__erasure_requests").fetchall()[0][0]
    persons = con.sql("select count(*) from wh.int_persons_erased").fetchall()[0][0]
    assert 0 < persons <= requests


def test_erased_persons_appear_in_no_relation_outside_the_tombstones(
    con: duckdb.DuckDBPyConnection, erased: pd.DataFrame
) -> None:
    """Every table and view of the warehouse, staging views and their stored base tables and the identity
    graph included: no erased person and no identifier of one, but in the tombstones (docs/privacy.md)."""
    checked, leaks = set(), {}
    for relation in outside_tombstones(relations(con, "wh")):
        if not person_columns(relation) and not identifier_checks(relation) and "raw_record" not in relation.columns:
            continue
        checked.add(relation.name)
        found = leaks_of_erased(con, f"wh.{relation.ref}", relation)
        if found:
            leaks[relation.name] = found
    stored = {"base_events__events", "base_web__pages", "base_web__identifies", "base_privacy__consent_events"}
    graph = {"int_identity_edges", "int_identifiers_resolved", "stg_crm__contacts", "stg_commerce__orders"}
    assert stored | graph <= checked, f"not scanned: {sorted((stored | graph) - checked)}"
    assert len(checked) >= 30, f"only {len(checked)} relations hold persons or identifiers: is the warehouse built?"
    assert not leaks, f"erased persons or their identifiers found in: {leaks}"


def test_snapshot_keeps_no_history_of_erased_persons(con: duckdb.DuckDBPyConnection, erased: pd.DataFrame) -> None:
    versions = con.sql(
        "select count(*) from wh.snap_customer_profiles where person_id in (select person_id from erased_person_ids)"
    ).fetchall()[0][0]
    assert versions == 0, f"{versions} snapshot versions of erased persons remain"
    assert con.sql("select count(*) from wh.snap_customer_profiles").fetchall()[0][0] > 0


@pytest.fixture(scope="module")
def published(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The marts published from the built warehouse into a fresh folder, as `tailor publish` does."""
    target = _env_path("TAILOR_TARGET_DIR")
    if not (target / "manifest.json").exists():
        pytest.skip(f"no dbt manifest in TAILOR_TARGET_DIR={target}")
    check_build(target)
    out = tmp_path_factory.mktemp("published")
    publish(_env_path("TAILOR_DUCKDB_PATH"), out, mart_relations(target / "manifest.json"))
    con.execute(f"attach '{out / PUBLISHED_DB}' as pub (read_only)")
    return out


def test_published_files_hold_only_marts_without_erased_persons_or_pii(
    con: duckdb.DuckDBPyConnection, published: Path, erased: pd.DataFrame, raw_pii: int
) -> None:
    tables = [r for r in relations(con, "pub") if r.name != "_publication"]
    assert tables, "nothing was published"
    assert all(r.name.startswith(("fct_", "dim_")) for r in tables), [r.name for r in tables]
    parquet_files = sorted((published / "parquet").glob("*.parquet"))
    assert {p.stem for p in parquet_files} == {r.name for r in tables}
    leaks, pii = {}, {}
    for relation in tables:
        for label, relation_sql in (
            (f"duckdb:{relation.name}", f"pub.{relation.ref}"),
            (f"parquet:{relation.name}", f"read_parquet('{published / 'parquet' / (relation.name + '.parquet')}')"),
        ):
            if found := leaks_of_erased(con, relation_sql, relation):
                leaks[label] = found
            if found := pii_hits(con, relation_sql, relation):
                pii[label] = found
    assert not leaks, f"published files hold erased persons or their identifiers: {leaks}"
    assert not pii, f"published files hold raw PII: {pii}"


def test_warehouse_holds_only_project_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Every relation of every schema (information_schema, not the manifest) is a node of the project or a
    known system table: a leftover copy (a `__dbt_tmp` table of an incremental run) is seen by no privacy test
    and reached by no erasure."""
    manifest = json.loads((_env_path("TAILOR_TARGET_DIR") / "manifest.json").read_text())
    expected = {
        f"{node['schema']}.{node.get('alias') or node['name']}".lower()
        for node in manifest["nodes"].values()
        if (node["resource_type"] in ("model", "seed", "snapshot") and node["config"]["materialized"] != "ephemeral")
        or (node["resource_type"] == "test" and node["config"].get("store_failures"))
    }
    system = {f"main.{name}" for name in project_var("known_system_relations")}
    found = {
        f"{schema}.{name}".lower()
        for schema, name in con.sql(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'wh'"
        ).fetchall()
    }
    assert len(found) > 50
    assert not found - expected - system, f"relations that are not project nodes: {sorted(found - expected - system)}"


def project_var(name: str) -> list[str]:
    """A project var as dbt_project.yml sets it (the manifest does not keep vars)."""
    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())
    return list(project["vars"]["tailor"][name])


def files_holding(salt: str, files: list[Path]) -> list[str]:
    return [str(f) for f in files if salt.encode() in f.read_bytes()]


def test_the_salt_is_in_no_artifact(published: Path) -> None:
    """The pseudonymization salt is in no file of the dbt target folder (manifest, compiled and run SQL,
    partial parse), of the published folder, nor in the warehouse file (view definitions)."""
    folders = [_env_path("TAILOR_TARGET_DIR"), published]
    files = [f for folder in folders for f in folder.rglob("*") if f.is_file()] + [_env_path("TAILOR_DUCKDB_PATH")]
    names = {f.name for f in files}
    assert {"manifest.json", "partial_parse.msgpack", PUBLISHED_DB} <= names
    assert any("/run/" in str(f) and f.suffix == ".sql" for f in files), "no run SQL in the target folder"
    assert files_holding(pii_salt(), files) == []


def test_the_salt_is_not_in_the_docs_site() -> None:
    """The `dbt docs generate` output (scripts/test.sh writes it to TAILOR_DOCS_DIR), which the docs site
    serves: every file of it."""
    docs = _env_path("TAILOR_DOCS_DIR")
    if not (docs / "catalog.json").exists():
        pytest.skip(f"no docs site in {docs}: run `dbt docs generate --target-path {docs}` first")
    site = [f for f in docs.rglob("*") if f.is_file()]
    assert {"index.html", "manifest.json", "catalog.json"} <= {f.name for f in site}
    assert files_holding(pii_salt(), site) == []


def test_no_model_past_staging_holds_raw_pii(con: duckdb.DuckDBPyConnection, raw_pii: int) -> None:
    assert raw_pii > 100, "too few raw PII values read from landing to make the scan meaningful"
    scanned, hits = 0, {}
    for relation in relations(con, "wh"):
        if relation.name.startswith(("stg_", "base_")) or relation.name in SEEDS:
            continue  # staging pseudonymizes (views over landing); seeds are reference data
        scanned += 1
        if found := pii_hits(con, f"wh.{relation.ref}", relation):
            hits[relation.name] = found
    assert scanned >= 20
    assert not hits, f"raw PII past staging: {hits}"


def test_pii_patterns_catch_what_they_should() -> None:
    assert re.search(EMAIL_PATTERN, "write to Jane.Doe+x@mail.example.co.uk today")
    for phone in (
        "call +1 (415) 555-0100",
        "0049 30 1234567",
        "+49 885450329",
        "4155550100",
        "ph: 415.555.0100.",
        "appelez le 06.12.34.56.78",
    ):
        assert re.search(PHONE_PATTERN, phone), phone
    for not_phone in (
        "9f2c01234567890abc",  # digits inside a hash
        "12345678-1234-1234-1234-123456789012",  # a UUID
        "008a0bc0-4158-4545-9521-6450d99da5c4",
        "as of 2026-10-31 23:41",  # a timestamp
        "test.tailor.not_null_stg_support__tickets_ticket_id.6853120019",  # a dotted id
        "{'distance': 1.43578107376089}",  # a decimal number
        "category:shoes",
    ):
        assert not re.search(PHONE_PATTERN, not_phone), not_phone


def test_the_no_raw_pii_data_test_fails_on_planted_pii(con: duckdb.DuckDBPyConnection) -> None:
    """The compiled no_raw_pii test of fct_sessions, run on a copy of the mart with one email and one phone
    planted in text values, reports each (its `like` marker must not hide a match) and nothing else."""
    compiled = list((_env_path("TAILOR_TARGET_DIR") / "compiled").rglob("no_raw_pii_fct_sessions_.sql"))
    if not compiled:
        pytest.skip("the no_raw_pii test of fct_sessions is not compiled in TAILOR_TARGET_DIR")
    sql = compiled[0].read_text()
    relation = re.search(r'from\s+("[^"]+")\.("[^"]+")\."fct_sessions"', sql)
    assert relation, "the compiled test names no fct_sessions relation"
    assert "like '%@%'" in sql, "the email check lost its marker"
    catalog, schema = relation.group(1), relation.group(2)
    sessions = next(r for r in relations(con, "wh") if r.name == "fct_sessions")
    text_columns = [column for column, data_type in sessions.columns.items() if data_type.startswith("VARCHAR")]
    assert len(text_columns) >= 2
    session = duckdb.connect()
    try:
        session.execute(f"attach ':memory:' as {catalog}")
        session.execute(f"create schema if not exists {catalog}.{schema}")
        table = f'{catalog}.{schema}."fct_sessions"'
        session.execute(f"attach '{_env_path('TAILOR_DUCKDB_PATH')}' as wh (read_only)")
        session.execute(f"create table {table} as select * from wh.{schema}.fct_sessions limit 50")
        email_column, phone_column = text_columns[0], text_columns[1]
        session.execute(f"insert into {table} (\"{email_column}\") values ('see jane.doe+x@mail.example.com')")
        session.execute(f"insert into {table} (\"{phone_column}\") values ('call +1 (415) 555-0100')")
        found = session.execute(f"select failure, column_name, pattern, row_count from ({sql}) order by 3").fetchall()
    finally:
        session.close()
    assert found == [
        ("raw PII value", email_column, "email", 1),
        ("raw PII value", phone_column, "phone", 1),
    ]


def _single_person_map(con: duckdb.DuckDBPyConnection, truth_keyed: pd.DataFrame) -> pd.DataFrame:
    """(person_key, person_id) for truth persons whose known identifiers all resolve to one warehouse person:
    for a person the identity map splits, a consent event on the unlinked part cannot reach the rest."""
    identity = con.sql(
        "select identifier_type, identifier_value, person_id from wh.int_identifiers_retained "
        "where person_id is not null"
    ).df()
    owned = truth_keyed[truth_keyed["n_owners"] == 1]
    mapped = owned.merge(identity, on=["identifier_type", "identifier_value"])
    per_person = mapped.groupby("person_key")["person_id"].agg(["nunique", "first"])
    single = per_person[per_person["nunique"] == 1]
    return pd.DataFrame({"person_key": single.index.astype(str), "person_id": single["first"].to_numpy()})


def test_interactions_after_revocation_are_not_training_data(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, truth_keyed: pd.DataFrame
) -> None:
    intervals = pd.read_parquet(truth_dir / "consent_intervals.parquet")
    revoked = intervals[
        (intervals["purpose"] == "personalization") & ~intervals["is_granted"] & intervals["valid_to"].isna()
    ]
    revoked = revoked.assign(
        person_key=revoked["person_key"].astype(str),
        revoked_at=pd.to_datetime(revoked["valid_from"], utc=True).dt.tz_localize(None),
    )[["person_key", "revoked_at"]]
    if revoked.empty:
        pytest.skip("the truth plants no personalization revocation")
    cases = revoked.merge(_single_person_map(con, truth_keyed), on="person_key")
    con.register("revocations", cases)
    counts = con.sql(
        f"""
        select
            count(distinct revocations.person_id) as persons,
            count(*) filter (where weighted.occurred_at > revocations.revoked_at + interval
                {int(CLOCK_TOLERANCE / pd.Timedelta(milliseconds=1))} millisecond) as after_revocation
        from revocations
        inner join wh.int_interactions_weighted as weighted on revocations.person_id = weighted.person_id
        """
    ).fetchall()[0]
    assert counts[1] > 0, "no interaction after a revocation: the check would prove nothing"
    leaked = con.sql(
        """
        select revocations.person_key, count(*) as rows_after_revocation
        from revocations
        inner join wh.int_interactions_consented as consented on revocations.person_id = consented.person_id
        where consented.last_interaction_at >= revocations.revoked_at
        group by revocations.person_key
        """
    ).df()
    assert leaked.empty, f"consented training data holds interactions after revocation: {leaked.to_dict('records')}"


def test_consented_interactions_match_an_independent_recomputation(con: duckdb.DuckDBPyConnection) -> None:
    """Each interaction counts iff the person's latest personalization state at or before it is granted."""
    interactions = con.sql(
        "select person_id, item_id, occurred_at, weight from wh.int_interactions_weighted order by occurred_at"
    ).df()
    states = con.sql(
        "select person_id, valid_from, is_granted from wh.int_consent_intervals "
        "where purpose = 'personalization' order by valid_from"
    ).df()
    joined = pd.merge_asof(
        interactions, states, left_on="occurred_at", right_on="valid_from", by="person_id", direction="backward"
    )
    consented = joined[joined["is_granted"].fillna(False).astype(bool)]
    expected = consented.groupby(["person_id", "item_id"])["weight"].sum().round(6)
    actual = con.sql("select person_id, item_id, interaction_weight from wh.int_interactions_consented").df()
    actual = actual.set_index(["person_id", "item_id"])["interaction_weight"]
    assert set(expected.index) == set(actual.index)
    assert (expected.sort_index() - actual.sort_index()).abs().max() < 1e-5
    assert 0 < len(actual) < con.sql("select count(*) from wh.fct_interactions").fetchall()[0][0]


def test_persons_without_personalization_consent_get_no_personalized_recommendation(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, truth_keyed: pd.DataFrame
) -> None:
    if not has_table(con, "wh", "fct_recommendations"):
        pytest.skip("fct_recommendations is not built yet: nothing is served")
    personalized = con.sql(
        f"""
        select recommendations.person_id, count(*) as rows_personalized
        from wh.fct_recommendations as recommendations
        left join wh.int_consent_current as consent
            on recommendations.person_id = consent.person_id and consent.purpose = 'personalization'
        where not coalesce(consent.is_granted, false) and recommendations.rec_source != '{GLOBAL_REC_SOURCE}'
        group by recommendations.person_id
        """
    ).df()
    assert personalized.empty, f"personalized recommendations without consent: {personalized.head().to_dict('records')}"

    persons = pd.read_parquet(truth_dir / "persons.parquet")
    refused = persons.loc[~persons["consent_personalization_now"].fillna(False).astype(bool), "person_key"]
    cases = _single_person_map(con, truth_keyed)
    con.register("refused_now", cases[cases["person_key"].isin(set(refused.astype(str)))])
    served = con.sql(
        f"""
        select
            count(distinct refused_now.person_id) as persons_served,
            count(*) filter (where recommendations.rec_source != '{GLOBAL_REC_SOURCE}') as personalized_rows
        from refused_now
        inner join wh.fct_recommendations as recommendations on refused_now.person_id = recommendations.person_id
        """
    ).fetchall()[0]
    assert served[1] == 0, f"{served[1]} personalized rows for truth persons who refused personalization"
