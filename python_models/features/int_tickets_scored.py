"""Support tickets scored for sentiment and catalog mentions (logic in tailor.features.text)."""

from tailor.features.text import score_tickets


def model(dbt, session):
    dbt.config(materialized="table")
    tickets = dbt.ref("stg_support__tickets").df()
    products = dbt.ref("stg_catalog__products").df()
    return score_tickets(tickets, products)
