"""The pseudonymization salt: where it comes from, when it may be used, and how it reaches the engine.

The salt never appears in SQL text (which dbt writes into target/ and the docs site): it is handed to each
DuckDB connection as the session variable SALT_VARIABLE, which the `pseudonymize` macro reads with
getvariable(). A Python reader hashing identifiers (serving, reports) uses the same salt and formula:
hex SHA-256 of salt + trimmed, lower-cased value."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import duckdb

DEFAULT_PII_SALT = "tailor-insecure-default-salt-set-TAILOR_PII_SALT"
SALT_ENV = "TAILOR_PII_SALT"
SALT_VARIABLE = "tailor_pii_salt"
FINGERPRINT_VARIABLE = "tailor_pii_salt_fingerprint"
IS_DEFAULT_VARIABLE = "tailor_pii_salt_is_default"
# The generator writes this file into every landing folder it makes: only there may the public salt be used.
GENERATED_MARKER = "_GENERATED_BY_TAILOR"
DEFAULT_LANDING = "data/landing/sample"


def pii_salt(environ: Mapping[str, str] | None = None) -> str:
    """The pseudonymization salt of this process: TAILOR_PII_SALT, or the public default."""
    return (os.environ if environ is None else environ).get(SALT_ENV, DEFAULT_PII_SALT)


def salt_fingerprint(salt: str) -> str:
    """A short, one-way fingerprint of the salt (not the salt): tells two salts apart in the audit log."""
    return hashlib.sha256(f"tailor-salt-fingerprint:{salt}".encode()).hexdigest()[:16]


def landing_path(environ: Mapping[str, str] | None = None) -> Path:
    """The landing folder the sources read (TAILOR_LANDING, as in the sources' external_location)."""
    return Path((os.environ if environ is None else environ).get("TAILOR_LANDING", DEFAULT_LANDING))


def is_generated_sample(landing: Path) -> bool:
    """True for a landing folder written by `tailor generate` (synthetic data, nothing to protect)."""
    return (landing / GENERATED_MARKER).is_file()


def refusal(salt: str, landing: Path) -> str | None:
    """Why a build with this salt on this landing folder must not run, as a one-line fix; None when it may."""
    if salt == DEFAULT_PII_SALT and not is_generated_sample(landing):
        return (f"{SALT_ENV} is not set and {landing} is not a generated sample: refusing to pseudonymize real "
                f"data with the public default salt. Fix: export {SALT_ENV}=\"$(openssl rand -hex 32)\" "
                "(keep it secret and stable between runs).")
    return None


def set_session_salt(conn: duckdb.DuckDBPyConnection, salt: str) -> None:
    """Hands the salt, its fingerprint and whether it is the default to a DuckDB connection as variables.

    Bound as parameters, so the salt is in no SQL text, query log or profile."""
    conn.execute(f"set variable {SALT_VARIABLE} = ?", [salt])
    conn.execute(f"set variable {FINGERPRINT_VARIABLE} = ?", [salt_fingerprint(salt)])
    conn.execute(f"set variable {IS_DEFAULT_VARIABLE} = ?", [salt == DEFAULT_PII_SALT])
