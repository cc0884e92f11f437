"""Segment runs as stored rows: one row per segment per training run, read back by the next run.

The warehouse keeps every run (an incremental table keyed by `retrained_at`). A run reads the rows of the
latest earlier run as `previous_segments`, so matched clusters keep their ids and names, and every id ever
used as `known_segment_ids`, so a retired id is never handed out again. Memberships travel inside the row
(a list of person/distance pairs), so one model writes definitions, drift and memberships of a run at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tailor.segments.config import SegmentConfig
from tailor.segments.pipeline import SegmentationResult, run_segmentation

RETIRED = "retired"
MEMBER_TYPE = pa.struct([("person_id", pa.string()), ("distance_to_centroid", pa.float64())])
MEMBER_TYPE_LIST = pa.list_(MEMBER_TYPE)
RUN_SCHEMA = pa.schema(
    [
        ("segment_run_id", pa.string()),
        ("retrained_at", pa.timestamp("us")),
        ("previous_retrained_at", pa.timestamp("us")),
        ("segment_id", pa.string()),
        ("segment_name", pa.string()),
        ("is_fallback", pa.bool_()),
        ("drift_status", pa.string()),
        ("member_count", pa.int64()),
        ("member_share", pa.float64()),
        ("clustered_share", pa.float64()),
        ("previous_member_count", pa.int64()),
        ("member_count_change", pa.int64()),
        ("previous_share", pa.float64()),
        ("share_change", pa.float64()),
        ("psi_contribution", pa.float64()),
        ("psi_total", pa.float64()),
        ("centroid_json", pa.string()),
        ("top_features", pa.string()),
        ("rules", pa.string()),
        ("rule_precision", pa.float64()),
        ("rule_recall", pa.float64()),
        ("tree_agreement", pa.float64()),
        ("name_rule", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("cluster_count", pa.int64()),
        ("silhouette", pa.float64()),
        ("members", MEMBER_TYPE_LIST),
    ]
)
PREVIOUS_COLUMNS = ["segment_id", "segment_name", "is_fallback", "size", "centroid_json", "name_rule", "created_at"]


@dataclass(frozen=True)
class PreviousRun:
    """What a run needs from the stored history: the last earlier run's segments and every id used."""

    segments: pd.DataFrame | None
    retrained_at: pd.Timestamp | None
    known_segment_ids: tuple[str, ...]


def _naive_utc(value: datetime | pd.Timestamp | str | None) -> pd.Timestamp | None:
    """Timestamps as the warehouse stores them: UTC without a zone."""
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def previous_run(history: pd.DataFrame | None, retrained_at: datetime | pd.Timestamp | str) -> PreviousRun:
    """The latest stored run strictly before `retrained_at` (retired rows dropped) and all ids used before.

    Rows of the run being (re)computed and of later runs are ignored, so rebuilding a run is idempotent.
    """
    if history is None or history.empty:
        return PreviousRun(None, None, ())
    stamps = pd.to_datetime(history["retrained_at"]).map(_naive_utc)
    earlier = history[(stamps < _naive_utc(retrained_at)).to_numpy()]
    if earlier.empty:
        return PreviousRun(None, None, ())
    earlier_stamps = pd.to_datetime(earlier["retrained_at"]).map(_naive_utc)
    latest = earlier_stamps.max()
    last = earlier[(earlier_stamps == latest).to_numpy() & (earlier["drift_status"] != RETIRED).to_numpy()]
    segments = last.rename(columns={"member_count": "size"})[PREVIOUS_COLUMNS].reset_index(drop=True)
    known = tuple(sorted(set(earlier["segment_id"].astype(str))))
    return PreviousRun(segments, latest, known)


def _member_lists(membership: pd.DataFrame, segment_ids: list[str]) -> pa.ListArray:
    """Per segment id (in the given order) its (person_id, distance_to_centroid) pairs, persons in id order;
    a fallback member's distance (NaN) is null. Built column-wise: a million members cost no Python loop."""
    ordered = membership.sort_values(["segment_id", "person_id"], kind="stable").reset_index(drop=True)
    members = pa.StructArray.from_arrays(
        [
            pa.array(ordered["person_id"].astype(str).to_numpy(), type=pa.string()),
            pa.array(ordered["distance_to_centroid"].astype("float64").to_numpy(), from_pandas=True),
        ],
        fields=list(MEMBER_TYPE),
    )
    positions = ordered.groupby("segment_id", sort=False).indices
    order = [positions.get(segment_id, np.zeros(0, dtype=np.int64)) for segment_id in segment_ids]
    offsets = np.concatenate([[0], np.cumsum([len(rows) for rows in order])]).astype(np.int32)
    taken = members.take(pa.array(np.concatenate(order).astype(np.int64) if order else [], type=pa.int64()))
    return pa.ListArray.from_arrays(pa.array(offsets), taken, type=MEMBER_TYPE_LIST)


def _optional(value: object) -> object:
    """None for pandas/numpy missing values, the plain Python value otherwise."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def run_rows(
    result: SegmentationResult,
    retrained_at: datetime | pd.Timestamp | str,
    previous_retrained_at: datetime | pd.Timestamp | str | None = None,
) -> pa.Table:
    """One row per segment of this run, plus one per segment retired by it, in RUN_SCHEMA."""
    stamp = _naive_utc(retrained_at)
    segments = result.segments.set_index("segment_id")
    drift = result.drift.set_index("segment_id")
    clustered_total = int(segments.loc[~segments["is_fallback"].astype(bool), "size"].sum())
    silhouette = result.clusters.silhouette_by_k.get(result.clusters.k, np.nan)
    rows = []
    for segment_id, change in drift.iterrows():
        current = segments.loc[segment_id] if segment_id in segments.index else None
        is_fallback = bool(current["is_fallback"]) if current is not None else segment_id.startswith("fallback_")
        size = int(current["size"]) if current is not None else 0
        rows.append(
            {
                "segment_run_id": f"{segment_id}@{stamp.isoformat()}",
                "retrained_at": stamp,
                "previous_retrained_at": _naive_utc(previous_retrained_at),
                "segment_id": str(segment_id),
                "segment_name": str(change["segment_name"]),
                "is_fallback": is_fallback,
                "drift_status": str(change["drift_status"]),
                "member_count": size,
                "member_share": _optional(current["share"]) if current is not None else 0.0,
                "clustered_share": (
                    size / clustered_total if current is not None and not is_fallback and clustered_total else None
                ),
                "previous_member_count": _optional(change["previous_size"]),
                "member_count_change": _optional(change["size_change"]),
                "previous_share": _optional(change["previous_share"]),
                "share_change": _optional(change["share_change"]),
                "psi_contribution": _optional(change["psi_contribution"]),
                "psi_total": _optional(change["psi_total"]),
                "centroid_json": _optional(current["centroid_json"]) if current is not None else None,
                "top_features": _optional(current["top_features"]) if current is not None else None,
                "rules": _optional(current["rules"]) if current is not None else None,
                "rule_precision": _optional(current["rule_precision"]) if current is not None else None,
                "rule_recall": _optional(current["rule_recall"]) if current is not None else None,
                "tree_agreement": _optional(current["tree_agreement"]) if current is not None else None,
                "name_rule": _optional(current["name_rule"]) if current is not None else None,
                "created_at": _naive_utc(current["created_at"]) if current is not None else None,
                "cluster_count": int(result.clusters.k),
                "silhouette": _optional(silhouette),
            }
        )
    scalars = RUN_SCHEMA.remove(RUN_SCHEMA.get_field_index("members"))
    table = pa.Table.from_pylist(rows, schema=scalars)
    members = _member_lists(result.membership, [str(segment_id) for segment_id in drift.index])
    return table.append_column(RUN_SCHEMA.field("members"), members)


def record_segment_run(
    profiles: pd.DataFrame,
    interactions: pd.DataFrame | None,
    retrained_at: datetime | pd.Timestamp | str,
    *,
    config: SegmentConfig | None = None,
    history: pd.DataFrame | None = None,
    known_segment_ids: Iterable[str] = (),
) -> pa.Table:
    """Segment `profiles` as of `retrained_at`, continuing the stored `history` of runs; rows in RUN_SCHEMA."""
    previous = previous_run(history, retrained_at)
    result = run_segmentation(
        profiles,
        interactions,
        config=config,
        previous_segments=previous.segments,
        retrained_at=_naive_utc(retrained_at),
        known_segment_ids=(*previous.known_segment_ids, *map(str, known_segment_ids)),
    )
    return run_rows(result, retrained_at, previous.retrained_at)


def _filtered_lists(members: pa.ListArray, keep: pa.BooleanArray) -> pa.ListArray:
    """The same lists with the flattened elements where `keep` is false dropped (empty lists stay empty)."""
    parents = pc.list_parent_indices(members).to_numpy(zero_copy_only=False)
    kept_per_row = np.bincount(parents[keep.to_numpy(zero_copy_only=False)], minlength=len(members))
    offsets = pa.array(np.concatenate([[0], np.cumsum(kept_per_row)]).astype(np.int32))
    return pa.ListArray.from_arrays(offsets, pc.filter(pc.list_flatten(members), keep), type=MEMBER_TYPE_LIST)


def scrub_erased(history: pa.Table, erased_person_ids: Iterable[str]) -> pa.Table:
    """Every stored run holding an erased person, rewritten whole without them (untouched runs: no rows).

    A run is replaced as a unit (the table's key is `retrained_at`), so all its rows come back with their
    memberships filtered; counts stay as measured at the time (aggregates name nobody).
    """
    erased = pa.array(sorted({str(person) for person in erased_person_ids}), type=pa.string())
    empty = RUN_SCHEMA.empty_table()
    if history.num_rows == 0 or len(erased) == 0:
        return empty
    history = history.select(RUN_SCHEMA.names).cast(RUN_SCHEMA)
    members = history.column("members").combine_chunks()
    hits = pc.fill_null(pc.is_in(pc.struct_field(pc.list_flatten(members), "person_id"), value_set=erased), False)
    if not pc.any(hits).as_py():
        return empty
    hit_rows = pc.unique(pc.filter(pc.list_parent_indices(members), hits))
    stamps = pc.unique(pc.take(history.column("retrained_at"), hit_rows))
    touched = history.filter(pc.is_in(history.column("retrained_at"), value_set=stamps))
    touched_members = touched.column("members").combine_chunks()
    keep = pc.invert(
        pc.fill_null(pc.is_in(pc.struct_field(pc.list_flatten(touched_members), "person_id"), value_set=erased), False)
    )
    index = RUN_SCHEMA.get_field_index("members")
    return touched.set_column(index, RUN_SCHEMA.field(index), _filtered_lists(touched_members, keep))


def rows_to_write(
    profiles: pd.DataFrame,
    interactions: pd.DataFrame | None,
    retrained_at: datetime | pd.Timestamp | str,
    *,
    config: SegmentConfig | None = None,
    history: pa.Table | None = None,
    erased_person_ids: Iterable[str] = (),
) -> pa.Table:
    """What one build writes into the run table (keyed by `retrained_at`): this run, computed against the
    stored `history`, plus every other stored run that still holds an erased person, rewritten without them."""
    stored = history.select(RUN_SCHEMA.names).cast(RUN_SCHEMA) if history is not None else RUN_SCHEMA.empty_table()
    run = record_segment_run(
        profiles,
        interactions,
        retrained_at,
        config=config,
        history=stored.drop_columns(["members"]).to_pandas(),
    )
    scrubbed = scrub_erased(stored, erased_person_ids)
    others = scrubbed.filter(
        pc.not_equal(scrubbed.column("retrained_at"), pa.scalar(_naive_utc(retrained_at), pa.timestamp("us")))
    )
    return pa.concat_tables([run, others])
