"""Identifiers sent to the API resolve to the keys the warehouse stores, with the macro's own hashing."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tailor.identity import pii_salt, pseudonymize
from tailor.serve.identity import IdentifierType, identity_key, is_valid_identifier

REQUIRED_TABLES = ("stg_crm__contacts",)


def test_email_is_hashed_to_email_hash_and_ids_are_trimmed() -> None:
    salt = "s"
    assert identity_key(IdentifierType.email, " Ann@Example.com", salt) == (
        "email_hash",
        pseudonymize("ann@example.com", salt),
    )
    assert identity_key(IdentifierType.email, "  ", salt) is None
    assert identity_key(IdentifierType.user_id, " U-1 ", salt) == ("user_id", "U-1")
    assert identity_key(IdentifierType.email_hash, "ABC", salt) == ("email_hash", "abc")


def test_identifier_charset_and_length() -> None:
    assert is_valid_identifier("ann.o'neil+tag@example.co.uk")
    assert is_valid_identifier("3f2b8c1e-0d3a-4c55-9a1b-6f4e2d7c8a90")
    for bad in ("", "a b", "x" * 257, "a\nb", "<script>", "a;drop"):
        assert not is_valid_identifier(bad), bad


def test_python_pseudonymize_equals_the_sql_macro_on_duckdb(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Every landed CRM email, dirty case and whitespace included: the hash staging computed in DuckDB with
    the `pseudonymize` macro equals `tailor.identity.pseudonymize` with the same salt."""
    landing = Path(os.environ.get("TAILOR_LANDING", "")) / "crm" / "contacts" / "contacts.parquet"
    if not landing.exists():
        pytest.skip(f"no landed contacts at {landing}")
    pairs = warehouse.execute(
        f"select raw.Email, stg.email_hash from read_parquet('{landing}') as raw "
        "join stg_crm__contacts as stg on stg.contact_id = trim(raw.Id) where stg.email_hash is not null"
    ).fetchall()
    assert len(pairs) > 100
    assert any(email != email.strip().lower() for email, _ in pairs), "no dirty email to prove normalization on"
    salt = pii_salt()
    mismatched = [email for email, hashed in pairs if pseudonymize(email, salt) != hashed]
    assert not mismatched, f"{len(mismatched)} of {len(pairs)} emails hash differently in Python"
