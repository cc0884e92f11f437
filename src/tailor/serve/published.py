"""One published version loaded for serving, and the holder that follows `tailor publish` swaps.

Serving reads only the published copy (`published/tailor_marts.duckdb`), read-only, so it never blocks a
build. A version is loaded once into memory: identity map and recommendations into hash lookups (a
request does no scan), profiles and similar items into in-memory DuckDB tables read by parameterized
queries, and the session scorer. Then the file is detached, so a later publish frees its inode at once.

Swaps: every request stats the published file (a microsecond); a changed inode starts one background load
of the new file while requests keep being served from the current version; when the new one is ready it
replaces the reference, and the old one is closed once the last request using it has finished. No request
fails and none waits for a load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from tailor.frames import read_frame
from tailor.publish import PUBLISHED_DB
from tailor.recommend.session import SessionScorer, recommend_session, session_scorer
from tailor.serve.profiles import profile_columns

log = logging.getLogger("tailor.serve")
# the published marts serving reads; a publish without them cannot be served
SERVED_TABLES: tuple[str, ...] = (
    "dim_identity_map",
    "fct_recommendations",
    "fct_similar_items",
    "dim_customer_profiles",
    "dim_recommendation_items",
    "dim_recommendation_model",
)
MAX_N = 100
IDENTITY_CHUNK_ROWS = 20_000


class NotServable(RuntimeError):
    """The published copy is missing or lacks what serving reads."""


@dataclass(frozen=True)
class FileStamp:
    """What changes when `tailor publish` swaps the file in: its inode and modification time."""

    inode: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return cls(stat.st_ino, stat.st_mtime_ns)


@dataclass(frozen=True)
class RecommendationLists:
    """fct_recommendations sorted by person and rank, as arrays plus person -> (start, stop) offsets."""

    offsets: dict[str, tuple[int, int]]
    rank: np.ndarray
    item_codes: np.ndarray
    item_ids: list[str]
    score: np.ndarray
    confidence: np.ndarray
    source_codes: np.ndarray
    sources: list[str]

    def rows(self, person_id: str, n: int) -> list[dict[str, Any]] | None:
        span = self.offsets.get(person_id)
        if span is None:
            return None
        start, stop = span[0], min(span[1], span[0] + n)
        return [
            {
                "rank": int(self.rank[i]),
                "item_id": self.item_ids[self.item_codes[i]],
                "score": float(self.score[i]),
                "confidence": float(self.confidence[i]),
                "rec_source": self.sources[self.source_codes[i]],
            }
            for i in range(start, stop)
        ]


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def load_recommendation_lists(con: duckdb.DuckDBPyConnection) -> RecommendationLists:
    table = con.sql(
        "select person_id, rank, item_id, score, confidence, rec_source from pub.fct_recommendations "
        "order by person_id, rank"
    ).to_arrow_table()
    person_codes, persons = _encoded(table["person_id"])
    # sorted by person, so each person's rows are one run and dictionary order is sorted order
    starts = np.flatnonzero(np.r_[True, person_codes[1:] != person_codes[:-1]]) if len(person_codes) else []
    stops = np.r_[starts[1:], len(person_codes)] if len(person_codes) else []
    offsets = {persons[person_codes[s]]: (int(s), int(e)) for s, e in zip(starts, stops, strict=True)}
    item_codes, item_ids = _encoded(table["item_id"])
    source_codes, sources = _encoded(table["rec_source"])
    return RecommendationLists(
        offsets=offsets,
        rank=table["rank"].to_numpy(),
        item_codes=item_codes,
        item_ids=item_ids,
        score=table["score"].to_numpy(),
        confidence=table["confidence"].to_numpy(),
        source_codes=source_codes,
        sources=sources,
    )


def load_identity_map(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(identifier_type, identifier_value) -> person_id. Read in chunks: one fetch of every row would hold
    the GIL for the whole conversion and stall the requests being served meanwhile (a swap at scale m)."""
    result = con.execute("select identifier_type, identifier_value, person_id from pub.dim_identity_map")
    identity: dict[tuple[str, str], str] = {}
    while rows := result.fetchmany(IDENTITY_CHUNK_ROWS):
        identity.update(((kind, value), person) for kind, value, person in rows)
    return identity


@dataclass
class PublishedVersion:
    """Everything one published version serves from; closed when swapped out and no longer in use."""

    version: str
    published_at: str
    stamp: FileStamp | None
    model_version: str
    generated_at: str
    identity: dict[tuple[str, str], str]
    recommendations: RecommendationLists
    popular: pd.DataFrame
    scorer: SessionScorer
    item_ids: frozenset[str]
    con: duckdb.DuckDBPyConnection
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_use: int = 0
    retired: bool = False

    def query(self, sql: str, params: list[Any]) -> list[tuple]:
        """A parameterized query on this version's in-memory tables (profiles, similar_items)."""
        with self.lock:
            return self.con.execute(sql, params).fetchall()

    def close(self) -> None:
        self.con.close()


def load_version(published_dir: Path) -> PublishedVersion:
    """Load the current published file (read-only) into a PublishedVersion; NotServable if it cannot be."""
    database = published_dir / PUBLISHED_DB
    stamp = FileStamp.of(database)
    if stamp is None:
        raise NotServable(f"no published marts at {database}: run `tailor publish` after a build")
    con = duckdb.connect(":memory:")
    try:
        path = str(database).replace("'", "''")
        con.execute(f"attach '{path}' as pub (read_only)")
        tables = {
            row[0]
            for row in con.execute("select table_name from duckdb_tables() where database_name = 'pub'").fetchall()
        }
        missing = [table for table in SERVED_TABLES if table not in tables]
        if missing:
            raise NotServable(f"{database} lacks {', '.join(missing)}: publish a build that has them")
        version, published_at = con.execute(
            "select version, cast(published_at as varchar) from pub._publication"
        ).fetchall()[0]
        model_version, recs_options, event_weights, generated_at = con.execute(
            "select model_version, recs_options, event_weights, generated_at from pub.dim_recommendation_model"
        ).fetchall()[0]
        items = read_frame(con.sql("select item_id, is_active, popularity, factors from pub.dim_recommendation_items"))
        scorer = session_scorer(items, recs_options, event_weights, generated_at)
        identity = load_identity_map(con)
        recommendations = load_recommendation_lists(con)
        columns = ", ".join(f'"{column}"' for column in profile_columns())
        con.execute(f"create table profiles as select {columns} from pub.dim_customer_profiles order by person_id")
        con.execute(
            "create table similar_items as select item_id, rank, similar_item_id, score, similarity_source, "
            "model_version, generated_at from pub.fct_similar_items order by item_id, rank"
        )
        con.execute("create index profiles_person on profiles (person_id)")
        con.execute("create index similar_items_item on similar_items (item_id)")
        con.execute("detach pub")
    except Exception:
        con.close()
        raise
    return PublishedVersion(
        version=str(version),
        published_at=str(published_at),
        stamp=stamp,
        model_version=str(model_version),
        generated_at=pd.Timestamp(generated_at).isoformat(),
        identity=identity,
        recommendations=recommendations,
        popular=recommend_session(scorer, [], has_consent=False, n=MAX_N),
        scorer=scorer,
        item_ids=frozenset(str(item) for item in items["item_id"]),
        con=con,
    )


class VersionHolder:
    """The version being served; follows publish swaps without a restart and without failed requests."""

    def __init__(self, published_dir: Path) -> None:
        self.published_dir = published_dir
        self.database = published_dir / PUBLISHED_DB
        self._current: PublishedVersion | None = None
        self._lock = threading.Lock()
        self._loading = False
        self._failed_stamp: FileStamp | None = None
        self.last_error: str | None = None

    @property
    def current(self) -> PublishedVersion | None:
        return self._current

    def load_now(self) -> None:
        """Load synchronously (at startup); a failure leaves the holder not ready, with `last_error`."""
        self._load(FileStamp.of(self.database))

    def _load(self, stamp: FileStamp | None) -> None:
        try:
            fresh = load_version(self.published_dir)
        except Exception as error:  # noqa: BLE001 - any failure keeps the previous version serving
            self._failed_stamp = stamp
            self.last_error = f"{type(error).__name__}: {error}"
            log.error("loading the published version failed, still serving the previous one: %s", self.last_error)
            with self._lock:
                self._loading = False
            return
        with self._lock:
            old, self._current = self._current, fresh
            self._loading = False
            self.last_error = None
            if old is not None:
                old.retired = True
                if old.in_use == 0:
                    old.close()
        log.info("serving published version %s (model %s)", fresh.version, fresh.model_version)

    def _maybe_reload(self) -> None:
        stamp = FileStamp.of(self.database)
        current = self._current
        if stamp is None or stamp == self._failed_stamp or (current is not None and stamp == current.stamp):
            return
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._load, args=(stamp,), name="tailor-serve-load", daemon=True).start()

    @contextmanager
    def use(self) -> Iterator[PublishedVersion | None]:
        """The current version for one request, kept open until the request is done."""
        self._maybe_reload()
        with self._lock:
            version = self._current
            if version is not None:
                version.in_use += 1
        try:
            yield version
        finally:
            if version is not None:
                with self._lock:
                    version.in_use -= 1
                    close = version.retired and version.in_use == 0
                if close:
                    version.close()

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.close()
                self._current = None
