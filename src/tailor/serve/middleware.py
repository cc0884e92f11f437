"""API key check and request log as a plain ASGI middleware (Starlette's `BaseHTTPMiddleware` costs about a
millisecond a request, more than a lookup itself).

The log line names the method, the route template (`/v1/profiles/{person_id}`, never the path or query
string), the status and the duration: no identifier ever reaches the log.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from fastapi.responses import JSONResponse

log = logging.getLogger("tailor.serve")
API_KEY_HEADER = "X-API-Key"
UNAUTHENTICATED_PATHS = frozenset({"/health"})


def error_response(status: int, message: str) -> JSONResponse:
    """Every error the API returns: `{"error": {"status", "message"}}`."""
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


class GuardAndLog:
    """Refuses requests without the API key (when one is set, except on /health); logs each request."""

    def __init__(self, app: Any, api_key: str | None) -> None:
        self.app = app
        self.key = api_key.encode() if api_key else None
        self.header = API_KEY_HEADER.lower().encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if self.key is not None and scope["path"] not in UNAUTHENTICATED_PATHS:
            given = next((value for name, value in scope["headers"] if name == self.header), b"")
            if not hmac.compare_digest(given, self.key):
                await error_response(401, f"missing or wrong {API_KEY_HEADER} header")(scope, receive, send)
                log.info("%s %s %d %.1fms", scope["method"], "(unauthenticated)", 401, 0.0)
                return
        status = 500

        async def send_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if log.isEnabledFor(logging.INFO):
                route = scope.get("route")
                log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    getattr(route, "path", "(no route)"),
                    status,
                    (time.perf_counter() - started) * 1000,
                )
