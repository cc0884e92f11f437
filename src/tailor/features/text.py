"""Text signals from support tickets: VADER sentiment and catalog mentions (brands, products).

Pure functions over plain Python values so the dbt Python model stays a thin adapter and the logic is
unit-tested without a warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's own recommended cut-off: compound <= -0.05 reads as negative.
NEGATIVE_COMPOUND_THRESHOLD = -0.05

_NON_WORD = re.compile(r"[^0-9a-z]+")
_TEXT_LIST = pd.ArrowDtype(pa.list_(pa.string()))


def normalize_phrase(text: str | None) -> str:
    """Lowercase, punctuation to single spaces, trimmed: the form both catalog names and text are matched in."""
    if not isinstance(text, str) or not text:
        return ""
    return _NON_WORD.sub(" ", text.lower()).strip()


def sentiment_compound(texts: Sequence[str | None]) -> list[float | None]:
    """VADER compound score (-1..1) per text; None for empty text. One analyzer per call, no shared state."""
    analyzer = SentimentIntensityAnalyzer()
    scores: list[float | None] = []
    for text in texts:
        scores.append(
            None if not isinstance(text, str) or not text.strip() else float(analyzer.polarity_scores(text)["compound"])
        )
    return scores


def is_negative(compound: float | None, threshold: float = NEGATIVE_COMPOUND_THRESHOLD) -> bool | None:
    """True when a compound score reads as negative; None when there is no score."""
    return None if compound is None else compound <= threshold


@dataclass(frozen=True)
class MentionIndex:
    """Normalized catalog phrases -> what they name; built once per catalog, matched per text."""

    brands: dict[str, str] = field(default_factory=dict)  # normalized brand -> brand as in the catalog
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # normalized title -> product ids
    product_ids: dict[str, str] = field(default_factory=dict)  # normalized product id -> product id
    title_product_brand: dict[str, str] = field(default_factory=dict)  # product id -> brand
    max_words: int = 1


def build_mention_index(
    products: Iterable[tuple[str, str | None, str | None]],
    min_title_words: int = 2,
) -> MentionIndex:
    """Index (product_id, title, brand) rows. Titles shorter than `min_title_words` words are skipped:
    a one-word title ('Socks') is a common noun far more often than a product mention."""
    brands: dict[str, str] = {}
    titles: dict[str, set[str]] = {}
    product_ids: dict[str, str] = {}
    product_brand: dict[str, str] = {}
    for product_id, title, brand in products:
        if not isinstance(product_id, str) or not product_id:
            continue
        id_key = normalize_phrase(product_id)
        if id_key:
            product_ids[id_key] = product_id
        brand_key = normalize_phrase(brand)
        if brand_key:
            brands.setdefault(brand_key, str(brand).strip())
            product_brand[product_id] = str(brand).strip()
        title_key = normalize_phrase(title)
        if len(title_key.split()) >= min_title_words:
            titles.setdefault(title_key, set()).add(product_id)
    max_words = max([len(k.split()) for k in [*brands, *titles, *product_ids]] or [1])
    return MentionIndex(
        brands=brands,
        titles={key: tuple(sorted(ids)) for key, ids in titles.items()},
        product_ids=product_ids,
        title_product_brand=product_brand,
        max_words=max_words,
    )


def _ngrams(words: list[str], max_words: int) -> Iterable[str]:
    for start in range(len(words)):
        for size in range(1, min(max_words, len(words) - start) + 1):
            yield " ".join(words[start : start + size])


def match_mentions(text: str | None, index: MentionIndex) -> tuple[list[str], list[str]]:
    """Brands and product ids a text names, each sorted and distinct. Whole-word phrase matches only, so
    'Nord' does not match inside 'Nordic'; a product named by title or id also counts as a brand mention."""
    words = normalize_phrase(text).split()
    if not words:
        return [], []
    brands: set[str] = set()
    products: set[str] = set()
    for phrase in _ngrams(words, index.max_words):
        if phrase in index.brands:
            brands.add(index.brands[phrase])
        if phrase in index.titles:
            products.update(index.titles[phrase])
        if phrase in index.product_ids:
            products.add(index.product_ids[phrase])
    brands.update(index.title_product_brand[p] for p in products if p in index.title_product_brand)
    return sorted(brands), sorted(products)


def cap_text(text: str, max_chars: int) -> tuple[str, bool]:
    """The first `max_chars` characters of a text, cut at the last space before the limit when there is one
    (no half word is scored), and whether anything was cut."""
    if len(text) <= max_chars:
        return text, False
    head = text[:max_chars]
    space = head.rfind(" ")
    return (head[:space] if space > max_chars // 2 else head), True


def score_tickets(tickets: pd.DataFrame, products: pd.DataFrame, max_chars: int) -> pd.DataFrame:
    """One row per ticket: sentiment of subject + body, negativity, and the catalog brands and products it
    names, from the first `max_chars` characters (var nlp_text_max_chars; is_text_truncated says when that
    was not all of it).
    Only derived signals and keys leave: the text itself stays in staging."""
    index = build_mention_index(zip(products["product_id"], products["title"], products["brand"], strict=True))
    ordered = tickets.sort_values("ticket_id", kind="mergesort").reset_index(drop=True)
    capped = [
        cap_text(" ".join(part for part in (subject, body) if isinstance(part, str) and part), max_chars)
        for subject, body in zip(ordered["subject"], ordered["body"], strict=True)
    ]
    texts = [text for text, _ in capped]
    compounds = sentiment_compound(texts)
    mentions = [match_mentions(text, index) for text in texts]
    return pd.DataFrame(
        {
            "ticket_id": ordered["ticket_id"].astype(str),
            "email_hash": ordered["email_hash"],
            "created_at": ordered["created_at"],
            "sentiment_compound": pd.array(compounds, dtype="Float64"),
            "is_negative": pd.array([is_negative(c) for c in compounds], dtype="boolean"),
            "is_text_truncated": pd.array([cut for _, cut in capped], dtype="boolean"),
            # typed lists, so a batch where nothing is mentioned still reads as a list of text in the warehouse
            "mentioned_brands": pd.Series([brands for brands, _ in mentions], dtype=_TEXT_LIST),
            "mentioned_product_ids": pd.Series([product_ids for _, product_ids in mentions], dtype=_TEXT_LIST),
        }
    )
