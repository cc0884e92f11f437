"""The raw landing contract: every table the project reads, where it lands and its columns.

One place for the layout, read by the sample-data generator, the docs and the tests, so the three
cannot drift apart. Paths are relative to the landing root (``TAILOR_LANDING``).

Timestamps land as ISO-8601 strings (as real exports and sinks deliver them, malformed ones included);
staging casts them. Event streams are folders partitioned by arrival date, ``dt=YYYY-MM-DD/``, the
layout an object-store sink (Kafka Connect S3 sink, Kinesis Firehose) writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class LandingTable:
    source: str
    name: str
    path: str  # relative to the landing root; partitioned tables end in '/dt=*/*.parquet'
    partitioned: bool
    columns: dict[str, str] = field(default_factory=dict)  # column -> arrow/duckdb type name
    key: str | None = None  # natural key, when the source has one

    @property
    def folder(self) -> str:
        return self.path.split("/dt=")[0] if self.partitioned else self.path.rsplit("/", 1)[0]


PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"


@cache
def known_values(vocabulary: str) -> tuple[str, ...]:
    """A closed vocabulary of the landed data (event types, consent purposes, order statuses, ...).

    The one list of each is ``vars: tailor: known_values:`` in the project's dbt_project.yml, which the
    staging validation and the accepted_values tests read too, so the generator cannot drift from them.
    """
    project = yaml.safe_load(PROJECT_FILE.read_text())
    vocabularies = project["vars"]["tailor"]["known_values"]
    if vocabulary not in vocabularies:
        raise KeyError(f"no vocabulary {vocabulary!r} in known_values of {PROJECT_FILE}")
    return tuple(vocabularies[vocabulary])


EVENT_TYPES: tuple[str, ...] = known_values("event_type")
CONSENT_PURPOSES: tuple[str, ...] = known_values("consent_purpose")
ORDER_STATUSES: tuple[str, ...] = known_values("order_status")
CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")

TABLES: tuple[LandingTable, ...] = (
    LandingTable(
        "crm",
        "contacts",
        "crm/contacts/contacts.parquet",
        False,
        {
            "Id": "VARCHAR",  # Salesforce 18-char contact id
            "Email": "VARCHAR",
            "FirstName": "VARCHAR",
            "LastName": "VARCHAR",
            "Phone": "VARCHAR",
            "Birthdate": "VARCHAR",  # YYYY-MM-DD
            "GenderIdentity": "VARCHAR",
            "MailingCountry": "VARCHAR",  # free text: 'Germany', 'DE', ' germany '
            "MailingCity": "VARCHAR",
            "Loyalty_Tier__c": "VARCHAR",  # bronze/silver/gold/platinum, any case
            "CreatedDate": "VARCHAR",
            "LastModifiedDate": "VARCHAR",
            "HasOptedOutOfEmail": "BOOLEAN",
        },
        "Id",
    ),
    LandingTable(
        "web",
        "pages",
        "web/pages/dt=*/*.parquet",
        True,
        {
            "id": "VARCHAR",  # Segment message id
            "anonymous_id": "VARCHAR",
            "user_id": "VARCHAR",
            "timestamp": "VARCHAR",
            "received_at": "VARCHAR",
            "url": "VARCHAR",
            "path": "VARCHAR",
            "referrer": "VARCHAR",
            "title": "VARCHAR",
            "context_user_agent": "VARCHAR",
        },
        "id",
    ),
    LandingTable(
        "web",
        "identifies",
        "web/identifies/dt=*/*.parquet",
        True,
        {
            "id": "VARCHAR",
            "anonymous_id": "VARCHAR",
            "user_id": "VARCHAR",
            "timestamp": "VARCHAR",
            "received_at": "VARCHAR",
            "email": "VARCHAR",  # trait
            "context_user_agent": "VARCHAR",
        },
        "id",
    ),
    LandingTable(
        "events",
        "events",
        "events/events/dt=*/*.parquet",
        True,
        {
            "event_id": "VARCHAR",
            "anonymous_id": "VARCHAR",
            "user_id": "VARCHAR",
            "event_type": "VARCHAR",
            "item_id": "VARCHAR",
            "properties": "VARCHAR",  # JSON text
            "event_at": "VARCHAR",  # client clock
            "received_at": "VARCHAR",  # server clock; the partition date is its date
        },
        "event_id",
    ),
    LandingTable(
        "commerce",
        "orders",
        "commerce/orders/orders.parquet",
        False,
        {
            "order_id": "VARCHAR",
            "customer_id": "VARCHAR",  # same namespace as web/events user_id
            "email": "VARCHAR",
            "status": "VARCHAR",
            "currency": "VARCHAR",
            "subtotal": "DOUBLE",
            "discount": "DOUBLE",
            "shipping": "DOUBLE",
            "total_amount": "DOUBLE",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
        },
        "order_id",
    ),
    LandingTable(
        "commerce",
        "order_items",
        "commerce/order_items/order_items.parquet",
        False,
        {
            "order_item_id": "VARCHAR",
            "order_id": "VARCHAR",
            "product_id": "VARCHAR",
            "quantity": "INTEGER",
            "unit_price": "DOUBLE",
        },
        "order_item_id",
    ),
    LandingTable(
        "catalog",
        "products",
        "catalog/products/products.parquet",
        False,
        {
            "product_id": "VARCHAR",
            "title": "VARCHAR",
            "description": "VARCHAR",
            "category": "VARCHAR",
            "brand": "VARCHAR",
            "price": "DOUBLE",
            "currency": "VARCHAR",
            "tags": "VARCHAR",  # '|'-separated
            "is_active": "BOOLEAN",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
        },
        "product_id",
    ),
    LandingTable(
        "support",
        "tickets",
        "support/tickets/tickets.parquet",
        False,
        {
            "ticket_id": "VARCHAR",
            "customer_email": "VARCHAR",
            "channel": "VARCHAR",  # email/chat/phone
            "created_at": "VARCHAR",
            "subject": "VARCHAR",
            "body": "VARCHAR",
        },
        "ticket_id",
    ),
    LandingTable(
        "privacy",
        "consent_events",
        "privacy/consent_events/consent_events.parquet",
        False,
        {
            "consent_event_id": "VARCHAR",
            "anonymous_id": "VARCHAR",
            "user_id": "VARCHAR",
            "purpose": "VARCHAR",  # analytics/personalization/marketing
            "status": "VARCHAR",  # granted/revoked
            "source": "VARCHAR",  # CMP or preference centre
            "occurred_at": "VARCHAR",
        },
        "consent_event_id",
    ),
    LandingTable(
        "privacy",
        "erasure_requests",
        "privacy/erasure_requests/erasure_requests.parquet",
        False,
        {
            "request_id": "VARCHAR",
            "identifier_type": "VARCHAR",  # email/user_id/anonymous_id/crm_contact_id
            "identifier_value": "VARCHAR",  # raw, pseudonymized in staging
            "requested_at": "VARCHAR",
        },
        "request_id",
    ),
    LandingTable(
        "experiments",
        "assignments",
        "experiments/assignments/assignments.parquet",
        False,
        {
            "assignment_id": "VARCHAR",
            "experiment_id": "VARCHAR",  # matches seeds/experiment_registry.csv
            "variant": "VARCHAR",
            "unit_type": "VARCHAR",  # anonymous_id/user_id
            "unit_id": "VARCHAR",
            "assigned_at": "VARCHAR",
        },
        "assignment_id",
    ),
)


def table(source: str, name: str) -> LandingTable:
    """The contract entry of one landing table."""
    for entry in TABLES:
        if entry.source == source and entry.name == name:
            return entry
    raise KeyError(f"no landing table {source}.{name}")
