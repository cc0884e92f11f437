"""Scores an identity map against planted truth: pairwise precision/recall of "same person" and cluster stats.

Pairs are counted from the contingency table of (predicted person, true person), as sums of C(n, 2), so a
million identifiers cost one group-by, never a pass over pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tailor.privacy.salt import DEFAULT_PII_SALT, pii_salt  # noqa: F401 (re-exported by tailor.identity)

# Truth names identifier types as landed; the warehouse keeps emails only as their pseudonym.
TRUTH_TO_WAREHOUSE_TYPE: dict[str, str] = {
    "anonymous_id": "anonymous_id",
    "user_id": "user_id",
    "email": "email_hash",
    "crm_contact_id": "crm_contact_id",
}


@dataclass(frozen=True)
class PairwiseScores:
    """Counts of identifier pairs: placed together by both, by the prediction, by the truth."""

    true_pairs: int
    predicted_pairs: int
    truth_pairs: int

    @property
    def precision(self) -> float:
        return self.true_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_pairs / self.truth_pairs if self.truth_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class ClusterStats:
    """How the predicted persons relate to the true ones over the identifiers both know."""

    n_identifiers: int
    n_predicted_persons: int
    n_true_persons: int
    n_split_true_persons: int  # true persons spread over more than one predicted person
    n_merged_predicted_persons: int  # predicted persons holding identifiers of more than one true person
    max_identifiers_per_predicted_person: int
    share_singleton_predicted_persons: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


# Mirrors macros/privacy/pseudonymize.sql (DuckDB's space-only trim, lower case), so truth emails can be
# matched to the warehouse's pseudonyms.
def pseudonymize(value: str, salt: str) -> str | None:
    """Hex SHA-256 of salt + normalized value, exactly as the SQL macro computes it; blank gives None."""
    normalized = value.strip(" ").lower()
    if not normalized:
        return None
    return hashlib.sha256((salt + normalized).encode("utf-8")).hexdigest()


def read_truth_identifiers(truth_dir: str | Path) -> pd.DataFrame:
    """The planted identifiers (person_key, identifier_type, identifier_value) of a generated dataset."""
    return pd.read_parquet(
        Path(truth_dir) / "identifiers.parquet", columns=["person_key", "identifier_type", "identifier_value"]
    )


def pairs_within(sizes: np.ndarray | pd.Series) -> int:
    """Number of unordered pairs inside groups of the given sizes: sum of C(n, 2)."""
    n = np.asarray(sizes, dtype="int64")
    return int((n * (n - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series | np.ndarray, truth: pd.Series | np.ndarray) -> PairwiseScores:
    """Pairwise scores of two aligned labelings of the same identifiers (one label per identifier)."""
    labels = pd.DataFrame({"predicted": np.asarray(predicted, dtype=object), "truth": np.asarray(truth, dtype=object)})
    if labels.isna().any().any():
        raise ValueError("every identifier needs a predicted and a true label")
    cells = labels.groupby(["predicted", "truth"], sort=False).size()
    return PairwiseScores(
        true_pairs=pairs_within(cells.to_numpy()),
        predicted_pairs=pairs_within(labels.groupby("predicted", sort=False).size().to_numpy()),
        truth_pairs=pairs_within(labels.groupby("truth", sort=False).size().to_numpy()),
    )


def cluster_stats(predicted: pd.Series | np.ndarray, truth: pd.Series | np.ndarray) -> ClusterStats:
    """Split and merge counts plus size figures for two aligned labelings."""
    labels = pd.DataFrame({"predicted": np.asarray(predicted, dtype=object), "truth": np.asarray(truth, dtype=object)})
    predicted_sizes = labels.groupby("predicted", sort=False).size()
    preds_per_truth = labels.groupby("truth", sort=False)["predicted"].nunique()
    truths_per_pred = labels.groupby("predicted", sort=False)["truth"].nunique()
    return ClusterStats(
        n_identifiers=len(labels),
        n_predicted_persons=int(predicted_sizes.size),
        n_true_persons=int(preds_per_truth.size),
        n_split_true_persons=int((preds_per_truth > 1).sum()),
        n_merged_predicted_persons=int((truths_per_pred > 1).sum()),
        max_identifiers_per_predicted_person=int(predicted_sizes.max()) if len(labels) else 0,
        share_singleton_predicted_persons=float((predicted_sizes == 1).mean()) if len(labels) else 0.0,
    )


def truth_in_warehouse_terms(truth: pd.DataFrame, hash_email: Callable[[str], str | None]) -> pd.DataFrame:
    """Truth identifiers keyed as the warehouse keys them (emails pseudonymized), with their owner count.

    A value planted for more than one person (a shared inbox, a placeholder id) has no single true owner
    (n_owners > 1), so it cannot be scored either way. Returns identifier_type, identifier_value,
    person_key, n_owners.
    """
    frame = truth[["person_key", "identifier_type", "identifier_value"]].dropna()
    frame = frame[frame["identifier_type"].isin(TRUTH_TO_WAREHOUSE_TYPE)]
    is_email = frame["identifier_type"].eq("email").to_numpy()
    values = frame["identifier_value"].astype(str).to_numpy(dtype=object).copy()
    values[is_email] = [hash_email(v) for v in values[is_email]]
    keyed = (
        pd.DataFrame(
            {
                "identifier_type": frame["identifier_type"].map(TRUTH_TO_WAREHOUSE_TYPE).to_numpy(),
                "identifier_value": values,
                "person_key": frame["person_key"].astype(str).to_numpy(),
            }
        )
        .dropna()
        .drop_duplicates(ignore_index=True)
    )
    owners = keyed.groupby(["identifier_type", "identifier_value"], sort=False)["person_key"]
    keyed["n_owners"] = owners.transform("nunique").astype("int64")
    return keyed


def evidence_components(edges: pd.DataFrame, keyed_truth: pd.DataFrame) -> pd.Series:
    """For each truth identifier, its component under the edges that join two identifiers of one true person.

    Two identifiers in one component are *linkable*: some chain of observed records ties them without
    passing through anyone else. No resolver can join identifiers the data never ties (a device its owner
    never logged in on), so this is the ceiling of recall. Index: 'type:value' keys; values: component ids.
    """
    owned = keyed_truth[keyed_truth["n_owners"] == 1]
    keys = pd.Index((owned["identifier_type"] + ":" + owned["identifier_value"]).unique())
    owner = pd.Series(owned["person_key"].to_numpy(), index=owned["identifier_type"] + ":" + owned["identifier_value"])
    owner = owner[~owner.index.duplicated()]
    links = edges[edges["right_type"].notna() & edges["right_value"].notna()]
    if "is_blocked" in links.columns:
        links = links[~links["is_blocked"].fillna(False).astype(bool)]
    left = (links["left_type"].astype(str) + ":" + links["left_value"].astype(str)).to_numpy()
    right = (links["right_type"].astype(str) + ":" + links["right_value"].astype(str)).to_numpy()
    left_owner = owner.reindex(left).to_numpy()
    same_person = pd.notna(left_owner) & (left_owner == owner.reindex(right).to_numpy())
    a, b = keys.get_indexer(left[same_person]), keys.get_indexer(right[same_person])
    graph = coo_matrix((np.ones(len(a), dtype="int8"), (a, b)), shape=(len(keys), len(keys)))
    _, component = connected_components(graph, directed=False)
    return pd.Series(component, index=keys)


@dataclass(frozen=True)
class IdentityEvaluation:
    """Scores over the identifiers present in both the identity map and the truth.

    `linkable` (when edges were given) scores recall against the pairs the data can tie at all: its
    true_pairs are found pairs inside one evidence component, its truth_pairs all pairs inside one.
    """

    scores: PairwiseScores
    stats: ClusterStats
    n_map_identifiers: int
    n_truth_identifiers: int
    n_ambiguous_truth_identifiers: int
    linkable: PairwiseScores | None = None

    def as_dict(self) -> dict[str, float | int]:
        linkable = {}
        if self.linkable is not None:
            linkable = {
                "linkable_recall": self.linkable.recall,
                "linkable_pairs": self.linkable.truth_pairs,
                "found_linkable_pairs": self.linkable.true_pairs,
            }
        return {
            "precision": self.scores.precision,
            "recall": self.scores.recall,
            "f1": self.scores.f1,
            "true_pairs": self.scores.true_pairs,
            "predicted_pairs": self.scores.predicted_pairs,
            "truth_pairs": self.scores.truth_pairs,
            **linkable,
            "n_map_identifiers": self.n_map_identifiers,
            "n_truth_identifiers": self.n_truth_identifiers,
            "n_ambiguous_truth_identifiers": self.n_ambiguous_truth_identifiers,
            **self.stats.as_dict(),
        }


def evaluate_identity_map(
    identity_map: pd.DataFrame,
    truth: pd.DataFrame,
    hash_email: Callable[[str], str | None],
    edges: pd.DataFrame | None = None,
) -> IdentityEvaluation:
    """Join the map (identifier_type, identifier_value, person_id) to truth and score it.

    With the identity edges, also score recall against the linkable pairs (see evidence_components).
    """
    keyed_truth = truth_in_warehouse_terms(truth, hash_email)
    is_ambiguous = keyed_truth["n_owners"] > 1
    n_ambiguous = keyed_truth[is_ambiguous][["identifier_type", "identifier_value"]].drop_duplicates().shape[0]
    mapped = identity_map[["identifier_type", "identifier_value", "person_id"]].dropna()
    mapped = mapped.astype({"identifier_type": str, "identifier_value": str, "person_id": str})
    joined = mapped.merge(keyed_truth[~is_ambiguous], on=["identifier_type", "identifier_value"], how="inner")
    linkable = None
    if edges is not None:
        component = evidence_components(edges, keyed_truth)
        evidence = component.reindex((joined["identifier_type"] + ":" + joined["identifier_value"]).to_numpy())
        linkable = pairwise_scores(joined["person_id"], evidence.to_numpy())
    return IdentityEvaluation(
        scores=pairwise_scores(joined["person_id"], joined["person_key"]),
        stats=cluster_stats(joined["person_id"], joined["person_key"]),
        n_map_identifiers=len(mapped),
        n_truth_identifiers=int((~is_ambiguous).sum()) + n_ambiguous,
        n_ambiguous_truth_identifiers=n_ambiguous,
        linkable=linkable,
    )
