"""Pipeline checks of the profile mart against planted truth: coverage, no raw PII, consent agreement.

They read the built warehouse (TAILOR_DUCKDB_PATH) and the planted truth (TAILOR_TRUTH) and skip when either
is missing, so the unit-test run stays independent of a build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tailor.identity.evaluate import pii_salt, pseudonymize, read_truth_identifiers, truth_in_warehouse_terms
from tailor.landing import CONSENT_PURPOSES

PROFILES = "dim_customer_profiles"
REQUIRED_TABLES = (PROFILES,)
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# ten or more digits, optionally grouped by spaces, dots, dashes or brackets, not inside a longer token
PHONE_PATTERN = r"(^|[^0-9A-Za-z_])\+?\(?[0-9]([0-9 ().-]{0,2}[0-9]){9,14}($|[^0-9A-Za-z_])"
MIN_CONSENT_AGREEMENT = 0.99


@pytest.fixture(scope="module")
def truth_dir() -> Path:
    path = Path(os.environ.get("TAILOR_TRUTH", "data/truth/sample"))
    if not (path / "persons.parquet").exists():
        pytest.skip(f"no planted truth at {path}")
    return path


@pytest.fixture(scope="module")
def profiles(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return warehouse.sql(f"select * from {PROFILES}").df()


@pytest.fixture(scope="module")
def active_truth_persons(truth_dir: Path, profiles: pd.DataFrame) -> pd.DataFrame:
    """Truth persons that should have a profile: active by the profiles' as-of time, not erased. Truth also
    knows activity still pending landing (after the as-of time), which the warehouse cannot have seen."""
    persons = pd.read_parquet(truth_dir / "persons.parquet")
    as_of = pd.Timestamp(profiles["profile_updated_at"].max())
    first_active = pd.to_datetime(persons["first_active_at"], utc=True).dt.tz_localize(None)
    keep = (
        persons["has_activity"].fillna(False).astype(bool)
        & ~persons["is_erased"].fillna(False).astype(bool)
        & (first_active <= as_of)
    )
    return persons[keep].assign(person_key=lambda f: f["person_key"].astype(str)).reset_index(drop=True)


@pytest.fixture(scope="module")
def truth_to_warehouse(warehouse: duckdb.DuckDBPyConnection, truth_dir: Path) -> pd.DataFrame:
    """(person_key, identifier_type, person_id): each truth identifier owned by one person, as resolved."""
    salt = pii_salt()
    keyed = truth_in_warehouse_terms(read_truth_identifiers(truth_dir), lambda value: pseudonymize(value, salt))
    keyed = keyed[keyed["n_owners"] == 1]
    identity_map = warehouse.sql(
        "select identifier_type, identifier_value, person_id from int_identifiers_resolved where person_id is not null"
    ).df()
    joined = keyed.merge(identity_map, on=["identifier_type", "identifier_value"], how="inner")
    return joined[["person_key", "identifier_type", "person_id"]]


def _primary_person(truth_to_warehouse: pd.DataFrame, profiled: set[str], with_consent: set[str]) -> pd.DataFrame:
    """Each truth person's main profile among the profiled warehouse persons their identifiers resolve to:
    one holding a consent record first (a device never linked to its person is a split the identity map
    could not see, and rightly has no consent), then the one holding most of their identifiers."""
    mapped = truth_to_warehouse[truth_to_warehouse["person_id"].isin(profiled)]
    counts = mapped.groupby(["person_key", "person_id"]).size().rename("n").reset_index()
    counts["has_consent_record"] = counts["person_id"].isin(with_consent)
    counts = counts.sort_values(
        ["person_key", "has_consent_record", "n", "person_id"], ascending=[True, False, False, True]
    )
    return counts.drop_duplicates("person_key")[["person_key", "person_id"]]


def test_one_row_per_person(profiles: pd.DataFrame) -> None:
    assert len(profiles) > 0
    assert profiles["person_id"].notna().all()
    assert not profiles["person_id"].duplicated().any()


def test_every_active_truth_person_has_a_profile(
    profiles: pd.DataFrame, active_truth_persons: pd.DataFrame, truth_to_warehouse: pd.DataFrame
) -> None:
    profiled = set(profiles["person_id"])
    active = truth_to_warehouse[truth_to_warehouse["person_key"].isin(active_truth_persons["person_key"])]
    # identifiers that carry activity (logins, devices) must land on profiled persons; a split person may
    # hold several profiles, but none of their active identifiers may be left without one
    activity_ids = active[active["identifier_type"].isin(["anonymous_id", "user_id"])]
    per_person = activity_ids.groupby("person_key")["person_id"].agg(lambda ids: set(ids) <= profiled)
    missing = sorted(set(active_truth_persons["person_key"]) - set(active["person_key"]))
    unprofiled = sorted(per_person[~per_person].index)
    assert not missing, f"{len(missing)} active truth persons resolve to no warehouse person, e.g. {missing[:5]}"
    assert not unprofiled, f"{len(unprofiled)} active truth persons lack a profile, e.g. {unprofiled[:5]}"
    has_profile = active.groupby("person_key")["person_id"].agg(lambda ids: bool(set(ids) & profiled))
    assert has_profile.all()


def test_erased_truth_persons_have_no_profile(
    warehouse: duckdb.DuckDBPyConnection, profiles: pd.DataFrame, truth_dir: Path
) -> None:
    """The person an erasure request names, as the identity graph resolved the named identifier (its
    tombstone keeps that person: the graph itself forgets erased identifiers after the run), has no profile.
    A device the graph never linked to its owner is a split it could not see, so it is checked only where a
    request names it."""
    persons = pd.read_parquet(truth_dir / "persons.parquet")
    erased = set(persons.loc[persons["is_erased"].fillna(False).astype(bool), "person_key"].astype(str))
    salt = pii_salt()
    keyed = truth_in_warehouse_terms(read_truth_identifiers(truth_dir), lambda value: pseudonymize(value, salt))
    keyed = keyed[(keyed["n_owners"] == 1) & keyed["person_key"].isin(erased)]
    named = warehouse.sql(
        """
        select
            case when requests.identifier_type = 'email' then 'email_hash' else requests.identifier_type end
                as identifier_type,
            requests.identifier_key as identifier_value,
            graph.person_id
        from stg_privacy__erasure_requests as requests
        inner join int_erasure_tombstones as graph
            on graph.identifier_value = requests.identifier_key
            and graph.identifier_type
                = case when requests.identifier_type = 'email' then 'email_hash' else requests.identifier_type end
        where graph.person_id is not null
        """
    ).df()
    erased_person_ids = set(keyed.merge(named, on=["identifier_type", "identifier_value"])["person_id"])
    assert erased_person_ids, "no erasure request of a planted erased person resolves to a person"
    leaked = erased_person_ids & set(profiles["person_id"])
    assert not leaked, f"{len(leaked)} erased persons still have a profile"


def test_no_raw_pii_in_profiles(warehouse: duckdb.DuckDBPyConnection) -> None:
    columns = warehouse.sql(
        f"select column_name, data_type from information_schema.columns where table_name = '{PROFILES}'"
    ).df()
    text_columns = columns[columns["data_type"].str.upper().str.startswith("VARCHAR")]["column_name"].tolist()
    assert "person_id" in text_columns
    found: dict[str, int] = {}
    for column in text_columns:
        value = f'cast("{column}" as varchar)'
        checks = [f"regexp_matches({value}, '{EMAIL_PATTERN}')"]
        if column != "person_id":  # a pseudonymous key may hold long digit runs by construction
            checks.append(f"regexp_matches({value}, '{PHONE_PATTERN}')")
        hits = warehouse.sql(f"select count(*) from {PROFILES} where {' or '.join(checks)}").fetchall()[0][0]
        if hits:
            found[column] = hits
    assert not found, f"raw PII patterns found in {PROFILES}: {found}"


def test_pii_patterns_catch_what_they_should() -> None:
    assert re.search(EMAIL_PATTERN, "write to Jane.Doe+x@mail.example.co.uk today")
    assert re.search(PHONE_PATTERN, "call +1 (415) 555-0100")
    assert re.search(PHONE_PATTERN, "0049 30 1234567")
    assert not re.search(PHONE_PATTERN, "9f2c01234567890abc")  # digits inside a hash
    assert not re.search(PHONE_PATTERN, "category:shoes")


def test_consent_flags_agree_with_truth(
    warehouse: duckdb.DuckDBPyConnection,
    profiles: pd.DataFrame,
    active_truth_persons: pd.DataFrame,
    truth_to_warehouse: pd.DataFrame,
) -> None:
    with_consent = warehouse.sql("select distinct person_id from int_consent_current where has_consent_record").df()
    primary = _primary_person(truth_to_warehouse, set(profiles["person_id"]), set(with_consent["person_id"]))
    joined = active_truth_persons.merge(primary, on="person_key").merge(profiles, on="person_id")
    assert len(joined) == len(active_truth_persons)
    for purpose in CONSENT_PURPOSES:
        truth_flag = joined[f"consent_{purpose}_now"].fillna(False).astype(bool)
        agreement = float((truth_flag == joined[f"has_{purpose}_consent"].astype(bool)).mean())
        assert agreement >= MIN_CONSENT_AGREEMENT, f"{purpose}: consent agrees for {agreement:.2%} of persons"


def test_imputation_never_overwrites_observed_values(warehouse: duckdb.DuckDBPyConnection) -> None:
    overwritten = warehouse.sql(
        f"""
        select count(*)
        from {PROFILES} as profiles
        inner join int_person_features as features on profiles.person_id = features.person_id
        where (features.age_band is not null
               and (profiles.age_band_is_imputed or profiles.age_band is distinct from features.age_band))
           or (features.country_code is not null
               and (profiles.country_code_is_imputed or profiles.country_code is distinct from features.country_code))
           or (features.age_band is null and profiles.age_band is not null and not profiles.age_band_is_imputed)
        """
    ).fetchall()[0][0]
    assert overwritten == 0


def test_profiles_share_one_as_of(profiles: pd.DataFrame) -> None:
    assert profiles["profile_updated_at"].nunique() == 1
    assert profiles["profile_confidence"].between(0, 1).all()
