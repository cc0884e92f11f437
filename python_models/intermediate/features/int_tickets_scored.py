"""Support tickets scored for sentiment and catalog mentions (logic in tailor.features.text)."""

from tailor.features.text import score_tickets
from tailor.frames import read_frame


def model(dbt, session):
    tickets = read_frame(dbt.ref("stg_support__tickets"))
    products = read_frame(dbt.ref("stg_catalog__products"))
    # tickets of erased persons are never stored (int_erasure_tombstones)
    tombstones = read_frame(dbt.ref("int_erasure_tombstones"))
    erased_emails = tombstones.loc[tombstones["identifier_type"] == "email_hash", "identifier_value"]
    tickets = tickets[~tickets["email_hash"].isin(set(erased_emails))]
    return score_tickets(tickets, products, max_chars=int(dbt.config.get("text_max_chars")))
