"""Unit tests for ticket text signals: sentiment and catalog mention matching."""

from __future__ import annotations

from tailor.features.text import (
    build_mention_index,
    is_negative,
    match_mentions,
    normalize_phrase,
    sentiment_compound,
)

CATALOG = [
    ("P001", "Trail Runner 3", "Nordwind"),
    ("P002", "City Jacket", "Nordwind"),
    ("P003", "Socks", "Acme Sports"),
    ("P004", "City Jacket", "Urbanist"),
    ("P005", None, None),
]


def test_normalize_phrase_strips_case_and_punctuation() -> None:
    assert normalize_phrase("  Trail-Runner 3!! ") == "trail runner 3"
    assert normalize_phrase(None) == ""


def test_sentiment_orders_negative_below_positive() -> None:
    negative, positive, empty = sentiment_compound(
        ["The jacket arrived broken, terrible service, I am angry.", "Love it, great quality, thanks!", "  "]
    )
    assert negative is not None and positive is not None
    assert -1.0 <= negative < 0 < positive <= 1.0
    assert empty is None
    assert is_negative(negative) is True
    assert is_negative(positive) is False
    assert is_negative(None) is None


def test_sentiment_is_deterministic() -> None:
    texts = ["Where is my order?", "Refund please, the product is awful"]
    assert sentiment_compound(texts) == sentiment_compound(texts)


def test_match_brand_whole_words_only() -> None:
    index = build_mention_index(CATALOG)
    assert match_mentions("I like Nordwind shoes", index) == (["Nordwind"], [])
    assert match_mentions("Nordwinds are nice", index) == ([], [])
    assert match_mentions("acme   sports socks", index) == (["Acme Sports"], [])


def test_match_titles_and_ids_imply_brand() -> None:
    index = build_mention_index(CATALOG)
    brands, products = match_mentions("My trail-runner 3 is torn; also about p002.", index)
    assert products == ["P001", "P002"]
    assert brands == ["Nordwind"]


def test_ambiguous_title_names_every_product_and_brand() -> None:
    index = build_mention_index(CATALOG)
    brands, products = match_mentions("the city jacket zipper broke", index)
    assert products == ["P002", "P004"]
    assert brands == ["Nordwind", "Urbanist"]


def test_one_word_titles_are_not_matched() -> None:
    index = build_mention_index(CATALOG)
    assert match_mentions("my socks got wet", index) == ([], [])


def test_empty_text_and_empty_catalog() -> None:
    assert match_mentions(None, build_mention_index(CATALOG)) == ([], [])
    assert match_mentions("anything at all", build_mention_index([])) == ([], [])


def test_score_tickets_keeps_only_signals() -> None:
    import pandas as pd

    from tailor.features.text import score_tickets

    tickets = pd.DataFrame(
        {
            "ticket_id": ["T2", "T1"],
            "email_hash": ["h2", "h1"],
            "created_at": pd.to_datetime(["2024-01-02", "2024-01-01"]),
            "subject": ["Broken City Jacket", None],
            "body": ["Terrible, the zipper broke. Awful.", "Thanks, love my Trail Runner 3!"],
        }
    )
    products = pd.DataFrame(
        {
            "product_id": [p for p, _, _ in CATALOG],
            "title": [t for _, t, _ in CATALOG],
            "brand": [b for _, _, b in CATALOG],
        }
    )
    scored = score_tickets(tickets, products, max_chars=10_000)
    assert scored["ticket_id"].tolist() == ["T1", "T2"]
    assert "body" not in scored.columns and "subject" not in scored.columns
    assert scored["is_negative"].tolist() == [False, True]
    assert scored["mentioned_product_ids"].tolist() == [["P001"], ["P002", "P004"]]
    assert scored["mentioned_brands"].tolist() == [["Nordwind"], ["Nordwind", "Urbanist"]]


def test_score_tickets_types_lists_even_when_nothing_is_mentioned() -> None:
    import duckdb
    import pandas as pd

    from tailor.features.text import score_tickets

    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1"],
            "email_hash": ["h1"],
            "created_at": pd.to_datetime(["2024-01-01"]),
            "subject": ["Hello"],
            "body": ["Nothing to see here"],
        }
    )
    products = pd.DataFrame({"product_id": ["P001"], "title": ["Trail Runner 3"], "brand": ["Nordwind"]})
    scored = score_tickets(tickets, products, max_chars=10_000)
    types = duckdb.connect().from_df(scored).select("mentioned_brands, mentioned_product_ids").types
    assert [str(t) for t in types] == ["VARCHAR[]", "VARCHAR[]"]


def test_a_long_ticket_is_scored_on_its_beginning_only_and_flagged() -> None:
    """A 1 MB body (a pasted log) is capped before VADER, whose time grows with the square of the length:
    uncapped it would take about half an hour. Its sentiment is that of the first max_chars characters."""
    import time

    import pandas as pd

    from tailor.features.text import cap_text, score_tickets

    head = "Terrible service, the zipper broke and nobody answers. "
    body = head + "log line 0123456789 " * 52_000  # ~1 MB
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2"],
            "email_hash": ["h1", "h2"],
            "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "subject": [None, "Thanks"],
            "body": [body, "Love it"],
        }
    )
    products = pd.DataFrame({"product_id": ["P001"], "title": ["Trail Runner 3"], "brand": ["Nordwind"]})
    started = time.process_time()
    scored = score_tickets(tickets, products, max_chars=2_000)
    assert time.process_time() - started < 30  # a guard against the unbounded case, not a benchmark
    assert scored["is_text_truncated"].tolist() == [True, False]
    assert bool(scored["is_negative"].iloc[0])
    text, cut = cap_text("one two three", 8)
    assert (text, cut) == ("one two", True)
    assert cap_text("short", 8) == ("short", False)
