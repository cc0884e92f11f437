"""Resolving an identifier sent to the API to the key `dim_identity_map` stores it under.

Emails only ever exist in the warehouse as salted hashes: the API hashes them server side with the build's
salt and the one Python twin of the SQL macro (`tailor.identity.pseudonymize`), so a raw email is never
stored, compared in the clear or logged. Ids are stored trimmed, as `int_identity_edges` stores them.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tailor.identity import pseudonymize

IDENTIFIER_MAX_LENGTH = 256
# printable ASCII without spaces or quotes-that-break-logs: ids, UUIDs and email addresses
IDENTIFIER_PATTERN = r"^[A-Za-z0-9._%+@:'\-|]+$"
_IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)


class IdentifierType(StrEnum):
    """Identifier types the API resolves; `email` is hashed into the map's `email_hash`."""

    user_id = "user_id"
    anonymous_id = "anonymous_id"
    crm_contact_id = "crm_contact_id"
    email = "email"
    email_hash = "email_hash"


def is_valid_identifier(value: str) -> bool:
    """Length 1..IDENTIFIER_MAX_LENGTH and the allowed charset (checked again here for non-HTTP callers)."""
    return 0 < len(value) <= IDENTIFIER_MAX_LENGTH and bool(_IDENTIFIER_RE.match(value))


def identity_key(identifier_type: IdentifierType, value: str, salt: str) -> tuple[str, str] | None:
    """(identifier_type, identifier_value) as `dim_identity_map` stores it, or None for a blank value."""
    if identifier_type is IdentifierType.email:
        hashed = pseudonymize(value, salt)
        return None if hashed is None else (IdentifierType.email_hash.value, hashed)
    stripped = value.strip()
    if identifier_type is IdentifierType.email_hash:
        stripped = stripped.lower()
    return (identifier_type.value, stripped) if stripped else None
