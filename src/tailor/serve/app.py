"""The HTTP API over the published marts (FastAPI): recommendations, similar items, profiles, session fold-in.

Handlers are `async` and do their (sub-millisecond) work on the event loop, so one version's in-memory
tables are only ever touched by one thread. Errors are JSON `{"error": {"status", "message"}}`. Logs name
the route template, status and duration, never a query string, body or identifier.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tailor.recommend.session import SessionInteraction, recommend_session
from tailor.serve.identity import IDENTIFIER_MAX_LENGTH, IDENTIFIER_PATTERN, IdentifierType, identity_key
from tailor.serve.middleware import GuardAndLog, error_response
from tailor.serve.profiles import profile_columns, visible_profile
from tailor.serve.published import MAX_N, PublishedVersion, VersionHolder

log = logging.getLogger("tailor.serve")
ITEM_ID_PATTERN = r"^[A-Za-z0-9._:\-]+$"
ITEM_ID_MAX_LENGTH = 128
MAX_SESSION_INTERACTIONS = 50


class Interaction(BaseModel):
    item_id: str = Field(min_length=1, max_length=ITEM_ID_MAX_LENGTH, pattern=ITEM_ID_PATTERN)
    event_type: str = Field(
        default="product_view", min_length=1, max_length=64, description="an event type of the event_weights seed"
    )


class SessionConsent(BaseModel):
    personalization: bool = Field(default=False, description="personalization consent given by the visitor now")


class SessionRequest(BaseModel):
    interactions: list[Interaction] = Field(default_factory=list, max_length=MAX_SESSION_INTERACTIONS)
    consent: SessionConsent = Field(default_factory=SessionConsent)
    n: int = Field(default=10, ge=1, le=MAX_N)


_error = error_response


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def _require(version: PublishedVersion | None, holder: VersionHolder) -> PublishedVersion:
    if version is None:
        raise HTTPException(503, f"no servable published version: {holder.last_error or 'not loaded yet'}")
    return version


def _plain(value: Any) -> Any:
    """A DuckDB value as a JSON type: timestamps and dates as ISO text, decimals as floats."""
    if isinstance(value, Decimal):
        return float(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _envelope(version: PublishedVersion, **body: Any) -> JSONResponse:
    """A success body with the version it was served from; plain JSON types only, so it is rendered as is
    (FastAPI's jsonable_encoder walk costs more than the lookup)."""
    return JSONResponse({"published_version": version.version, **body})


def _items(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Recommendation rows (rank, item_id, score, confidence, rec_source) as JSON objects."""
    return [
        {
            "rank": int(row.rank),
            "item_id": row.item_id,
            "score": float(row.score),
            "confidence": float(row.confidence),
            "rec_source": row.rec_source,
        }
        for row in frame.itertuples(index=False)
    ]


def create_app(published_dir: Path, *, api_key: str | None, salt: str) -> FastAPI:
    """The API over `published_dir`; `api_key` (if set) is required on every endpoint but /health."""
    holder = VersionHolder(published_dir)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        holder.load_now()
        yield
        holder.close()

    app = FastAPI(
        lifespan=lifespan,
        title="tailor serving API",
        version="1",
        description="Recommendations, similar items and profiles from the published marts, with real-time "
        "fold-in of a visitor's fresh activity. Reads only the published copy (see docs/serving.md).",
    )
    app.state.holder = holder

    app.add_middleware(GuardAndLog, api_key=api_key)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        route = request.scope.get("route")
        log.error("unhandled %s on %s", type(error).__name__, getattr(route, "path", "(no route)"))
        return _error(500, "internal error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "body", "path"))
        return _error(422, f"{where or 'request'}: {first.get('msg', 'invalid')}")

    @app.get("/health", tags=["operations"], summary="The process is up (no key required)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], summary="A published version is loaded and served")
    async def ready() -> JSONResponse:
        with holder.use() as version:
            if version is None:
                return _error(503, f"not ready: {holder.last_error or 'no published version loaded'}")
            return JSONResponse(
                {
                    "status": "ready",
                    "published_version": version.version,
                    "published_at": version.published_at,
                    "model_version": version.model_version,
                }
            )

    @app.get("/v1/recommendations", tags=["recommendations"], summary="Top-n for any identifier the map knows")
    async def recommendations(
        identifier_type: IdentifierType,
        identifier: Annotated[str, Query(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)],
        n: Annotated[int, Query(ge=1, le=MAX_N)] = 10,
    ) -> JSONResponse:
        """Resolved to the person through `dim_identity_map` (emails hashed server side with the build's
        salt). Unknown and erased identifiers get the same answer: global popularity, `person_id` null."""
        with holder.use() as current:
            version = _require(current, holder)
            key = identity_key(identifier_type, identifier, salt)
            person_id = version.identity.get(key) if key is not None else None
            items = version.recommendations.rows(person_id, n) if person_id is not None else None
            return _envelope(
                version,
                person_id=person_id,
                model_version=version.model_version,
                generated_at=version.generated_at,
                items=items if items is not None else _items(version.popular.head(n)),
            )

    @app.get("/v1/similar-items/{item_id}", tags=["recommendations"], summary="Most similar active items")
    async def similar_items(
        item_id: Annotated[str, PathParam(min_length=1, max_length=ITEM_ID_MAX_LENGTH, pattern=ITEM_ID_PATTERN)],
        n: Annotated[int, Query(ge=1, le=MAX_N)] = 10,
    ) -> JSONResponse:
        with holder.use() as current:
            version = _require(current, holder)
            if item_id not in version.item_ids:
                raise HTTPException(404, "unknown item_id: not in the published catalog")
            rows = version.query(
                "select rank, similar_item_id, score, similarity_source, model_version, generated_at "
                "from similar_items where item_id = ? order by rank limit ?",
                [item_id, n],
            )
            return _envelope(
                version,
                item_id=item_id,
                model_version=rows[0][4] if rows else version.model_version,
                generated_at=rows[0][5].isoformat() if rows else version.generated_at,
                items=[
                    {"rank": rank, "item_id": similar, "score": score, "rec_source": source}
                    for rank, similar, score, source, _, _ in rows
                ],
            )

    @app.get("/v1/profiles/{person_id}", tags=["profiles"], summary="Profile fields of consented purposes only")
    async def profile(
        person_id: Annotated[
            str, PathParam(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)
        ],
    ) -> JSONResponse:
        with holder.use() as current:
            version = _require(current, holder)
            columns = profile_columns()
            selected = ", ".join(f'"{column}"' for column in columns)
            rows = version.query(f"select {selected} from profiles where person_id = ?", [person_id])
            if not rows:
                raise HTTPException(404, "unknown person_id")
            row = dict(zip(columns, rows[0], strict=True))
            body = visible_profile({key: _plain(value) for key, value in row.items()})
            return _envelope(version, generated_at=body["profile_updated_at"], profile=body)

    @app.post("/v1/recommendations/session", tags=["recommendations"], summary="Fold fresh activity in")
    async def session(request: SessionRequest) -> JSONResponse:
        """Top-n for a visitor from a few interactions the warehouse has not seen, folded in against the
        published item factors with the batch chain's rules; without personalization consent: popularity."""
        with holder.use() as current:
            version = _require(current, holder)
            unknown = sorted({i.item_id for i in request.interactions} - version.item_ids)
            if unknown:
                shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
                raise HTTPException(422, f"interactions: unknown item_id(s) {shown}")
            weights = version.scorer.event_weights
            bad_events = sorted({i.event_type for i in request.interactions} - set(weights))
            if bad_events:
                raise HTTPException(
                    422, f"interactions: unknown event_type {bad_events[0]!r}; expected one of {sorted(weights)}"
                )
            frame = recommend_session(
                version.scorer,
                [SessionInteraction(i.item_id, i.event_type) for i in request.interactions],
                has_consent=request.consent.personalization,
                n=request.n,
            )
            return _envelope(
                version,
                model_version=version.model_version,
                generated_at=_now(),
                items=_items(frame),
            )

    return app
