"""Load benchmark of `tailor serve`: an open-loop load generator against the real server process, on loopback.

Open loop: request i is sent at start + i / rate whatever the server does, and its latency is counted from
that scheduled time, so a slow server cannot slow the generator down and hide its own queueing (coordinated
omission). Every phase is bounded in time and in request count. A closed-loop phase (a fixed number of
concurrent clients sending back to back) measures the saturation throughput. The generator is asyncio +
httpx in one process with keep-alive connections; it shares the machine's cores with the server, which is
part of what a loopback benchmark on a small machine measures (the report gives both processes' CPU).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import numpy as np

Request = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, params, json body
RequestMaker = Callable[[random.Random], Request]
MAX_IN_FLIGHT = 512


@dataclass
class PhaseResult:
    """Latencies (ms, from the scheduled send time) and outcome counts of one phase."""

    name: str
    mode: str  # "open" (fixed rate) or "closed" (fixed concurrency)
    target_rate: float | None
    concurrency: int | None
    duration_s: float
    requests: int
    errors: int
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

    def pct(q: float) -> float:
        return float(np.percentile(values, q)) if values.size else float("nan")

    return PhaseResult(
        name=name,
        mode=mode,
        target_rate=target_rate,
        concurrency=concurrency,
        duration_s=round(elapsed_s, 3),
        requests=total,
        errors=len(errors),
        error_samples=list(errors[:5]),
        achieved_rate=round(total / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        p50_ms=round(pct(50), 3),
        p95_ms=round(pct(95), 3),
        p99_ms=round(pct(99), 3),
        max_ms=round(float(values.max()) if values.size else float("nan"), 3),
    )


async def _send(client: httpx.AsyncClient, request: Request) -> str | None:
    """One request; None when it succeeded (HTTP 200), else a short error description."""
    method, path, params, body = request
    try:
        response = await client.request(method, path, params=params, json=body)
    except httpx.HTTPError as error:
        return f"{path}: {type(error).__name__}"
    if response.status_code != 200:
        return f"{path}: HTTP {response.status_code} {response.text[:120]}"
    return None


async def open_loop(
    client: httpx.AsyncClient, makers: Sequence[tuple[RequestMaker, float]], duration_s: float, seed: int = 0
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
            errors[str(kind)].append("generator: too many requests in flight (server saturated)")
            continue
        task = asyncio.create_task(one(kind, due, makers[kind][0](rng)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    return latencies, errors, time.perf_counter() - start


async def closed_loop(
    client: httpx.AsyncClient, maker: RequestMaker, concurrency: int, duration_s: float, seed: int = 0
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


def client_for(url: str, api_key: str | None, connections: int = 64) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"X-API-Key": api_key} if api_key else {}
    return httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0)
