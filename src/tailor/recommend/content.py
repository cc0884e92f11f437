"""Content-based scoring: TF-IDF item vectors from catalog text, user profiles from interacted items.

It covers what collaborative filtering cannot: items nobody has interacted with yet and users with
only a handful of interactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from tailor.recommend.data import InteractionMatrix, index_of

TAG_SEPARATOR = "|"
CATEGORY_LEVEL_SEPARATORS = (">", "/")


@dataclass(frozen=True)
class ContentParams:
    """TF-IDF settings and per-field weights; category and brand outweigh free text by default."""

    text_weight: float = 1.0
    tags_weight: float = 1.0
    category_weight: float = 2.0
    brand_weight: float = 1.5
    max_features: int = 50_000
    min_df: int = 1
    ngram_max: int = 1
    stop_words: str | None = "english"


@dataclass(frozen=True)
class ContentModel:
    """L2-normalised item vectors (items x features, float32 CSR) on a sorted item axis."""

    item_vectors: sp.csr_matrix
    item_ids: np.ndarray


def split_tags(value: object) -> list[str]:
    """Tags from a list/array or a '|' joined string, lower-cased and trimmed."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    parts = value.split(TAG_SEPARATOR) if isinstance(value, str) else list(value)
    return [str(part).strip().lower() for part in parts if part is not None and str(part).strip()]


def category_levels(value: object) -> list[str]:
    """One token per level of a category path ('Home > Kitchen' -> 'home', 'home>kitchen')."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return []
    text = str(value).lower()
    for separator in CATEGORY_LEVEL_SEPARATORS:
        text = text.replace(separator, ">")
    levels = [level.strip() for level in text.split(">") if level.strip()]
    return [">".join(levels[: depth + 1]) for depth in range(len(levels))]


def _single_token(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return []
    return [str(value).strip().lower()]


def l2_normalize_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (empty rows stay empty), float32 CSR; safe on empty shapes."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    scaled = sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ matrix, dtype=np.float32)
    scaled.sort_indices()
    return scaled


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _field_matrix(documents: list, weight: float, vectorizer: TfidfVectorizer) -> sp.csr_matrix | None:
    if weight <= 0 or not any(len(document) for document in documents):
        return None
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # empty vocabulary, e.g. only stop words
        return None
    return l2_normalize_rows(matrix) * np.float32(weight)


def fit_content(catalog: pd.DataFrame, params: ContentParams | None = None) -> ContentModel:
    """TF-IDF vectors per catalog item over title+description, tags, category levels and brand.

    Each field is vectorised and L2-normalised on its own, scaled by its weight, stacked, and the row
    normalised again, so weights read as each field's share of the cosine.
    """
    params = params or ContentParams()
    items = catalog.drop_duplicates("item_id").assign(item_id=lambda f: f["item_id"].astype(str))
    items = items.sort_values("item_id", kind="stable").reset_index(drop=True)

    def column(name: str) -> pd.Series:
        return items[name] if name in items else pd.Series([None] * len(items), dtype=object)

    text = (column("title").fillna("").astype(str) + " " + column("description").fillna("").astype(str)).tolist()
    text_vectorizer = TfidfVectorizer(
        stop_words=params.stop_words,
        sublinear_tf=True,
        min_df=params.min_df,
        max_features=params.max_features,
        ngram_range=(1, params.ngram_max),
        strip_accents="unicode",
        dtype=np.float32,
    )
    blocks = [
        _field_matrix([t if t.strip() else "" for t in text], params.text_weight, text_vectorizer),
        _field_matrix([split_tags(v) for v in column("tags")], params.tags_weight, _token_vectorizer()),
        _field_matrix([category_levels(v) for v in column("category")], params.category_weight, _token_vectorizer()),
        _field_matrix([_single_token(v) for v in column("brand")], params.brand_weight, _token_vectorizer()),
    ]
    present = [block for block in blocks if block is not None]
    vectors = sp.hstack(present, format="csr") if present else sp.csr_matrix((len(items), 0), dtype=np.float32)
    return ContentModel(l2_normalize_rows(vectors), items["item_id"].to_numpy(dtype=object))


def _token_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_identity, lowercase=False, dtype=np.float32)


def item_vectors_for(model: ContentModel, item_ids: np.ndarray) -> sp.csr_matrix:
    """Item vectors re-indexed onto `item_ids` (empty rows for items missing from the model)."""
    positions = index_of(model.item_ids, pd.Series(item_ids, dtype=object))
    known = positions >= 0
    selector = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (np.flatnonzero(known), positions[known])),
        shape=(len(item_ids), len(model.item_ids)),
    )
    return (selector @ model.item_vectors).tocsr()


def user_profiles(model: ContentModel, interactions: InteractionMatrix) -> sp.csr_matrix:
    """Users x features profiles: interaction-weighted sum of item vectors, L2-normalised (cosine-ready).

    Rows follow `interactions.user_ids`; users whose items are all unknown to the model get empty rows.
    """
    return weighted_profiles(interactions.matrix, item_vectors_for(model, interactions.item_ids))


def weighted_profiles(weights: sp.spmatrix, item_vectors: sp.csr_matrix) -> sp.csr_matrix:
    """Rows of `weights` (persons x items) as L2-normalised weighted sums of the items' vectors."""
    return l2_normalize_rows(weights.astype(np.float32) @ item_vectors)
