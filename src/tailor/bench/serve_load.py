"""Load benchmark of `tailor serve`: an open-loop load generator against the real server process, on loopback.

Open loop: request i is sent at start + i / rate whatever the server does, and its latency is counted from
that scheduled time, so a slow server cannot slow the generator down and hide its own queueing (coordinated
omission). Every phase is bounded in time and in request count. A closed-loop phase (a fixed number of
concurrent clients sending back to back) measures the saturation throughput.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams (`RawClient`), not httpx: on a
2-core machine the generator shares the cores with the server, and httpx spent about 6 ms of CPU per
request here, twice the server's own cost, so it measured itself. This one costs a small fraction of the
server's time (the report gives both processes' CPU seconds).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import numpy as np

Request = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, params, json body
RequestMaker = Callable[[random.Random], Request]
MAX_IN_FLIGHT = 512
DROPPED = "not sent: too many requests in flight"


@dataclass
class PhaseResult:
    """Latencies (ms, from the scheduled send time) and outcome counts of one phase."""

    name: str
    mode: str  # "open" (fixed rate) or "closed" (fixed concurrency)
    target_rate: float | None
    concurrency: int | None
    duration_s: float
    requests: int
    errors: int  # non-200 answers and failed connections
    dropped: int  # not sent: MAX_IN_FLIGHT requests were already waiting (the server could not keep up)
    error_samples: list[str]
    achieved_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float | None = None
    generator_cpu_s: float | None = None
    load_average: tuple[float, float, float] = field(default_factory=lambda: os.getloadavg())
    notes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    name: str,
    mode: str,
    latencies_ms: Sequence[float],
    errors: Sequence[str],
    elapsed_s: float,
    target_rate: float | None = None,
    concurrency: int | None = None,
) -> PhaseResult:
    """Percentiles and rates of one phase; errors count towards the request total, not the latencies."""
    values = np.asarray(latencies_ms, dtype=np.float64)
    total = len(values) + len(errors)
    dropped = sum(error == DROPPED for error in errors)
    failures = [error for error in errors if error != DROPPED]

    def pct(q: float) -> float:
        return float(np.percentile(values, q)) if values.size else float("nan")

    return PhaseResult(
        name=name,
        mode=mode,
        target_rate=target_rate,
        concurrency=concurrency,
        duration_s=round(elapsed_s, 3),
        requests=total,
        errors=len(failures),
        dropped=dropped,
        error_samples=failures[:5],
        achieved_rate=round(total / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        p50_ms=round(pct(50), 3),
        p95_ms=round(pct(95), 3),
        p99_ms=round(pct(99), 3),
        max_ms=round(float(values.max()) if values.size else float("nan"), 3),
    )


class RawClient:
    """HTTP/1.1 over a pool of keep-alive connections; answers must carry Content-Length (uvicorn's do)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = "".join(f"{name}: {value}\r\n" for name, value in {"Host": self.host, **headers}.items())
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None, body: dict[str, Any] | None
    ) -> tuple[int, bytes]:
        target = quote(path) + (f"?{urlencode(params)}" if params else "")
        payload = json.dumps(body).encode() if body is not None else b""
        kind = "Content-Type: application/json\r\n" if body is not None else ""
        message = f"{method} {target} HTTP/1.1\r\n{self.headers}{kind}Content-Length: {len(payload)}\r\n\r\n"
        while self.idle:
            # a pooled connection the server closed while idle (keep-alive timeout) is retried on a fresh one,
            # as any HTTP client does; an answer cut short on a fresh connection is an error
            answer = await self._exchange(*self.idle.pop(), message.encode() + payload)
            if answer is not None:
                return answer
        answer = await self._exchange(*await asyncio.open_connection(self.host, self.port), message.encode() + payload)
        if answer is None:
            raise ConnectionResetError("the server closed the connection without an answer")
        return answer

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
    ) -> tuple[int, bytes] | None:
        try:
            writer.write(data)
            status_line = await reader.readline()
            if not status_line:
                writer.close()
                return None
            status = int(status_line.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
        except ConnectionError:
            writer.close()
            return None
        except BaseException:
            writer.close()
            raise
        self.idle.append((reader, writer))
        return status, answer

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _send(client: RawClient, request: Request) -> str | None:
    """One request; None when it succeeded (HTTP 200), else a short error description."""
    method, path, params, body = request
    try:
        status, data = await client.request(method, path, params, body)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        return f"{path.split('/')[2] if path.count('/') > 1 else path}: {type(error).__name__}"
    if status != 200:
        return f"{path.split('/')[2] if path.count('/') > 1 else path}: HTTP {status} {data[:120]!r}"
    return None


async def open_loop(
    client: RawClient, makers: Sequence[tuple[RequestMaker, float]], duration_s: float, seed: int = 0
) -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
    """Each (maker, rate) sends `rate` requests a second for `duration_s` seconds, all at once.

    Returns latencies (ms from the scheduled time) and errors per maker index, and the elapsed time."""
    rng = random.Random(seed)
    schedule = sorted(
        (index / rate, kind) for kind, (_, rate) in enumerate(makers) for index in range(int(rate * duration_s))
    )
    latencies: dict[str, list[float]] = {str(kind): [] for kind in range(len(makers))}
    errors: dict[str, list[str]] = {str(kind): [] for kind in range(len(makers))}
    in_flight: set[asyncio.Task] = set()
    start = time.perf_counter()

    async def one(kind: int, due: float, request: Request) -> None:
        error = await _send(client, request)
        if error is None:
            latencies[str(kind)].append((time.perf_counter() - due) * 1000)
        else:
            errors[str(kind)].append(error)

    for offset, kind in schedule:
        due = start + offset
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if len(in_flight) >= MAX_IN_FLIGHT:
            errors[str(kind)].append(DROPPED)
            continue
        task = asyncio.create_task(one(kind, due, makers[kind][0](rng)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    return latencies, errors, time.perf_counter() - start


async def closed_loop(
    client: RawClient, maker: RequestMaker, concurrency: int, duration_s: float, seed: int = 0
) -> tuple[list[float], list[str], float]:
    """`concurrency` clients each sending the next request as soon as the previous one is answered."""
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    stop_at = start + duration_s

    async def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            error = await _send(client, maker(rng))
            if error is None:
                latencies.append((time.perf_counter() - sent) * 1000)
            else:
                errors.append(error)

    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    return latencies, errors, time.perf_counter() - start


def client_for(url: str, api_key: str | None) -> RawClient:
    return RawClient(url, {"X-API-Key": api_key} if api_key else {})
