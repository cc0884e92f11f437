"""`tailor bench-serve`: latency and throughput of the serving API on a published build, and a publish swap
under load. Publishes the build into a scratch folder (the project's own published/ is never touched),
starts `tailor serve` on it, runs the phases of `tailor.bench.serve_load` and writes
bench_results/serve/<scale>/<timestamp>.json and .md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psutil

from tailor.bench.serve_load import (
    MAX_IN_FLIGHT,
    PhaseResult,
    RequestMaker,
    client_for,
    closed_loop,
    open_loop,
    summarize,
)
from tailor.publish import PUBLISHED_DB, check_build, mart_relations, publish

BENCH_API_KEY = "bench-serve-key"
TARGETS_MS = {"lookups": 10.0, "session": 30.0}
POOL_SIZE = 5000
SWAP_CHUNK_S = 5.0
SWAP_MAX_CHUNKS = 60
EVENT_MIX = (("product_view", 0.7), ("add_to_cart", 0.2), ("purchase", 0.1))


@dataclass(frozen=True)
class ServeBenchOptions:
    scale: str
    build: Path
    target_dir: Path
    work_dir: Path
    results_dir: Path
    duration_s: float = 20.0
    lookup_rate: float = 300.0
    session_rate: float = 100.0
    saturation_s: float = 10.0
    saturation_concurrency: int = 16
    port: int = 8765


@dataclass(frozen=True)
class Pools:
    """Ids the load draws from, read from the published marts."""

    identifiers: list[tuple[str, str]]
    items: list[str]
    factor_items: list[str]
    persons: list[str]


def read_pools(database: Path, seed: int = 0) -> Pools:
    con = duckdb.connect(str(database), read_only=True)
    try:
        identifiers = con.execute(
            "select identifier_type, identifier_value from dim_identity_map "
            "where identifier_type in ('anonymous_id', 'user_id', 'crm_contact_id') "
            "order by hash(identifier_value) limit ?",
            [POOL_SIZE],
        ).fetchall()
        items = [r[0] for r in con.execute("select item_id from dim_recommendation_items").fetchall()]
        factor_items = [
            r[0]
            for r in con.execute(
                "select item_id from dim_recommendation_items where is_active and factors is not null"
            ).fetchall()
        ]
        persons = [
            r[0]
            for r in con.execute(
                "select person_id from dim_customer_profiles order by hash(person_id) limit ?", [POOL_SIZE]
            ).fetchall()
        ]
    finally:
        con.close()
    rng = random.Random(seed)
    unknown = [("anonymous_id", f"bench-unknown-{rng.getrandbits(48):012x}") for _ in range(len(identifiers) // 9)]
    return Pools([*identifiers, *unknown], items, factor_items, persons)


def request_makers(pools: Pools) -> dict[str, RequestMaker]:
    def recommendations(rng: random.Random):
        kind, value = rng.choice(pools.identifiers)
        return "GET", "/v1/recommendations", {"identifier_type": kind, "identifier": value, "n": 10}, None

    def similar(rng: random.Random):
        return "GET", f"/v1/similar-items/{rng.choice(pools.items)}", {"n": 10}, None

    def profile(rng: random.Random):
        return "GET", f"/v1/profiles/{rng.choice(pools.persons)}", None, None

    def session(rng: random.Random):
        events, weights = zip(*EVENT_MIX, strict=True)
        interactions = [
            {"item_id": rng.choice(pools.factor_items), "event_type": rng.choices(events, weights)[0]}
            for _ in range(rng.randint(3, 6))
        ]
        body = {"interactions": interactions, "consent": {"personalization": rng.random() < 0.8}, "n": 10}
        return "POST", "/v1/recommendations/session", None, body

    return {"recommendations": recommendations, "similar_items": similar, "profiles": profile, "session": session}


def lookup_mix(makers: dict[str, RequestMaker], rate: float) -> list[tuple[RequestMaker, float]]:
    """Lookups: half recommendations by identifier, a quarter each similar items and profiles."""
    return [(makers["recommendations"], rate / 2), (makers["similar_items"], rate / 4), (makers["profiles"], rate / 4)]


class ServerProcess:
    def __init__(self, published: Path, port: int, log_path: Path) -> None:
        env = {**os.environ, "TAILOR_SERVE_API_KEY": BENCH_API_KEY}
        self.url = f"http://127.0.0.1:{port}"
        self.log = log_path.open("w")
        command = [sys.executable, "-m", "tailor.cli", "serve", "--published", str(published), "--port", str(port)]
        self.process = subprocess.Popen(
            [*command, "--log-level", "warning"], stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        self.ps = psutil.Process(self.process.pid)

    def ready_version(self) -> str | None:
        try:
            response = httpx.get(self.url + "/ready", headers={"X-API-Key": BENCH_API_KEY}, timeout=5)
        except httpx.TransportError:
            return None
        return response.json().get("published_version") if response.status_code == 200 else None

    def wait_ready(self, timeout_s: float = 600.0) -> float:
        started = time.perf_counter()
        while self.ready_version() is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log.name}")
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError("server not ready")
            time.sleep(0.2)
        return time.perf_counter() - started

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def _generator_cpu_s() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _measure(server: ServerProcess, run: Callable[[], PhaseResult | list[PhaseResult]]) -> list[PhaseResult]:
    server_cpu, generator_cpu = server.cpu_s(), _generator_cpu_s()
    results = run()
    results = results if isinstance(results, list) else [results]
    for result in results:
        result.server_cpu_s = round(server.cpu_s() - server_cpu, 2)
        result.generator_cpu_s = round(_generator_cpu_s() - generator_cpu, 2)
        result.load_average = os.getloadavg()
    return results


def _open_phase(
    server: ServerProcess, name: str, mix: list[tuple[RequestMaker, float]], labels: list[str], duration_s: float
) -> list[PhaseResult]:
    async def go() -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
        client = client_for(server.url, BENCH_API_KEY)
        try:
            return await open_loop(client, mix, duration_s)
        finally:
            await client.close()

    latencies, errors, elapsed = asyncio.run(go())
    rate = sum(rate for _, rate in mix)
    merged = summarize(
        name,
        "open",
        [v for vs in latencies.values() for v in vs],
        [e for es in errors.values() for e in es],
        elapsed,
        rate,
    )
    parts = [
        summarize(f"{name}/{label}", "open", latencies[str(k)], errors[str(k)], elapsed, mix[k][1])
        for k, label in enumerate(labels)
    ]
    return [merged, *parts] if len(parts) > 1 else [merged]


def _closed_phase(server: ServerProcess, name: str, maker: RequestMaker, concurrency: int, duration_s: float):
    async def go() -> tuple[list[float], list[str], float]:
        client = client_for(server.url, BENCH_API_KEY)
        try:
            return await closed_loop(client, maker, concurrency, duration_s)
        finally:
            await client.close()

    latencies, errors, elapsed = asyncio.run(go())
    return summarize(name, "closed", latencies, errors, elapsed, concurrency=concurrency)


def _swap_phase(
    server: ServerProcess, options: ServeBenchOptions, published: Path, tables: list[str], mix, labels
) -> list[PhaseResult]:
    """Lookups and sessions at their target rates, in chunks, while a second publish runs in another process,
    until the server answers with the new version."""
    code = (
        "import sys; from pathlib import Path; from tailor.publish import publish; "
        "publish(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[4:], version=sys.argv[3])"
    )
    publisher = subprocess.Popen(
        [sys.executable, "-c", code, str(options.build), str(published), "bench-v2", *tables],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    chunks: list[list[PhaseResult]] = []
    publish_started = time.perf_counter()
    publish_s = None
    for _ in range(SWAP_MAX_CHUNKS):
        chunks.append(_open_phase(server, "swap", mix, labels, SWAP_CHUNK_S))
        if publish_s is None and publisher.poll() is not None:
            publish_s = time.perf_counter() - publish_started
        if publisher.poll() is not None and server.ready_version() == "bench-v2":
            chunks.append(_open_phase(server, "swap", mix, labels, SWAP_CHUNK_S))  # and a while after the swap
            break
    if publisher.wait() != 0:
        raise RuntimeError(f"publish under load failed: {publisher.stderr.read().decode()[-2000:]}")
    return _merge_chunks(chunks, {"publish_s": round(publish_s or 0.0, 1), "served_after": server.ready_version()})


def _merge_chunks(chunks: list[list[PhaseResult]], notes: dict[str, Any]) -> list[PhaseResult]:
    """Chunks of the same phase as one result per part (percentiles recomputed from all latencies)."""
    merged = []
    for position in range(len(chunks[0])):
        parts = [chunk[position] for chunk in chunks]
        merged.append(
            PhaseResult(
                name=parts[0].name,
                mode="open",
                target_rate=parts[0].target_rate,
                concurrency=None,
                duration_s=round(sum(p.duration_s for p in parts), 3),
                requests=sum(p.requests for p in parts),
                errors=sum(p.errors for p in parts),
                dropped=sum(p.dropped for p in parts),
                error_samples=[e for p in parts for e in p.error_samples][:5],
                achieved_rate=round(sum(p.requests for p in parts) / sum(p.duration_s for p in parts), 1),
                # the worst chunk's tail: conservative, since chunk latencies are not kept
                p50_ms=max(p.p50_ms for p in parts),
                p95_ms=max(p.p95_ms for p in parts),
                p99_ms=max(p.p99_ms for p in parts),
                max_ms=max(p.max_ms for p in parts),
                notes={**notes, "chunks": len(parts), "percentiles": "worst chunk"},
            )
        )
    return merged


def run_serve_bench(options: ServeBenchOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    check_build(options.target_dir)
    tables = mart_relations(options.target_dir / "manifest.json")
    published = options.work_dir / "published"
    shutil.rmtree(published, ignore_errors=True)
    started_at = datetime.now(UTC)
    progress(f"publishing {options.build} into {published}")
    publish(options.build, published, tables, version="bench-v1")
    pools = read_pools(published / PUBLISHED_DB)
    makers = request_makers(pools)
    log_path = options.work_dir / "serve.log"
    server = ServerProcess(published, options.port, log_path)
    phases: list[PhaseResult] = []
    try:
        load_s = server.wait_ready()
        progress(f"server ready in {load_s:.1f} s")
        lookups = lookup_mix(makers, options.lookup_rate)
        lookup_labels = ["recommendations", "similar_items", "profiles"]
        _open_phase(server, "warmup", lookups, lookup_labels, 3.0)
        progress(f"lookups at {options.lookup_rate:g}/s for {options.duration_s:g} s")
        phases += _measure(server, lambda: _open_phase(server, "lookups", lookups, lookup_labels, options.duration_s))
        progress(f"session fold-in at {options.session_rate:g}/s for {options.duration_s:g} s")
        session = [(makers["session"], options.session_rate)]
        phases += _measure(server, lambda: _open_phase(server, "session", session, ["session"], options.duration_s))
        progress("publish swap under load (lookups and sessions at their target rates)")
        both = [*lookups, *session]
        phases += _measure(
            server, lambda: _swap_phase(server, options, published, tables, both, [*lookup_labels, "session"])
        )
        for name, maker in (
            ("saturation/recommendations", makers["recommendations"]),
            ("saturation/session", makers["session"]),
        ):
            progress(f"{name}: {options.saturation_concurrency} clients for {options.saturation_s:g} s")
            phases += _measure(
                server,
                lambda maker=maker, name=name: _closed_phase(
                    server, name, maker, options.saturation_concurrency, options.saturation_s
                ),
            )
    finally:
        server.stop()
    return {
        "scale": options.scale,
        "started_at": started_at.isoformat(),
        "git_commit": _git_commit(),
        "cpu_count": os.cpu_count(),
        "server_load_s": round(load_s, 2),
        "targets_ms": TARGETS_MS,
        "pool": {"identifiers": len(pools.identifiers), "items": len(pools.items), "persons": len(pools.persons)},
        "phases": [phase.as_dict() for phase in phases],
        "verdict": verdict(phases, options),
    }


def verdict(phases: list[PhaseResult], options: ServeBenchOptions) -> dict[str, Any]:
    """Each target of the issue, met or not, from the measured phases."""
    by_name = {phase.name: phase for phase in phases}
    lookups, session = by_name.get("lookups"), by_name.get("session")
    swap = [phase for phase in phases if phase.name == "swap"]
    return {
        "lookups_p99_ms": lookups.p99_ms if lookups else None,
        "lookups_target_met": bool(lookups and lookups.p99_ms <= TARGETS_MS["lookups"] and lookups.errors == 0)
        and bool(lookups and lookups.dropped == 0),
        "lookups_rate": lookups.achieved_rate if lookups else None,
        "session_p99_ms": session.p99_ms if session else None,
        "session_target_met": bool(session and session.p99_ms <= TARGETS_MS["session"] and session.errors == 0)
        and bool(session and session.dropped == 0),
        "session_rate": session.achieved_rate if session else None,
        "swap_errors": swap[0].errors if swap else None,
        "swap_dropped_by_generator": swap[0].dropped if swap else None,
        "swap_version_served_after": swap[0].notes.get("served_after") if swap else None,
        "target_rates": {"lookups": options.lookup_rate, "session": options.session_rate},
    }


def _git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Serving load benchmark, scale {report['scale']}",
        "",
        f"Started {report['started_at']} at commit {report['git_commit']} on {report['cpu_count']} CPUs; server "
        f"loaded the published version in {report['server_load_s']} s. Latencies in ms from the scheduled send "
        "time (open loop) or the send time (closed loop); loopback; generator and server share the machine. "
        "errors: non-200 answers and failed connections; not sent: requests the generator dropped because "
        f"{MAX_IN_FLIGHT} were already waiting (the server could not keep up with the rate).",
        "",
        "| phase | mode | target rate | achieved/s | requests | errors | not sent | p50 | p95 | p99 | max "
        "| server CPU s | generator CPU s | load avg (1/5/15 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in report["phases"]:
        target = phase["target_rate"] if phase["mode"] == "open" else f"{phase['concurrency']} clients"
        load = "/".join(f"{value:.1f}" for value in phase["load_average"])
        lines.append(
            f"| {phase['name']} | {phase['mode']} | {target} | {phase['achieved_rate']} | {phase['requests']} "
            f"| {phase['errors']} | {phase['dropped']} | {phase['p50_ms']} | {phase['p95_ms']} | {phase['p99_ms']} "
            f"| {phase['max_ms']} "
            f"| {phase['server_cpu_s']} | {phase['generator_cpu_s']} | {load} |"
        )
    lines += ["", "Verdict:", "", "```json", json.dumps(report["verdict"], indent=2), "```", ""]
    return "\n".join(lines)


def write_report(report: dict[str, Any], results_dir: Path) -> tuple[Path, Path]:
    """bench_results/serve/<scale>/<timestamp>.json and .md."""
    folder = results_dir / "serve" / report["scale"]
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    json_path, markdown_path = folder / f"{stamp}.json", folder / f"{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    markdown_path.write_text(render_markdown(report))
    return json_path, markdown_path
