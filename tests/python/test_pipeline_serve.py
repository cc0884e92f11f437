"""`tailor serve` end to end: a real server process over a real publish of the built (tiny) warehouse.

The built warehouse (TAILOR_DUCKDB_PATH) is published into a temporary folder (the build is only read), the
server is started as a subprocess on a free loopback port with an API key, and every test talks HTTP to it:
identity resolution (emails hashed server side), consent, erasure, unknown ids, bad input, the API key, and a
publish swap while requests run. The server's log is checked last for raw identifiers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from tailor.bench.serve import lookup_mix, read_pools, request_makers
from tailor.bench.serve_load import DROPPED, client_for, open_loop, summarize
from tailor.identity import pii_salt, pseudonymize
from tailor.publish import PUBLISHED_DB, check_build, mart_relations, publish

API_KEY = "serve-test-key"
HEADERS = {"X-API-Key": API_KEY}
START_TIMEOUT_S = 120
SWAP_TIMEOUT_S = 120
# identifiers sent in the tests, checked against the server log at the end
SENT: set[str] = set()
SWAP_VISITOR = "swap-visitor-0001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, out: Path, build: Path, tables: list[str], log_path: Path) -> None:
        self.out, self.build, self.tables, self.log_path = out, build, tables, log_path
        self.url = ""

    def get(self, path: str, key: bool = True, **params: object) -> httpx.Response:
        return httpx.get(self.url + path, params=params, headers=HEADERS if key else {}, timeout=30)

    def post(self, path: str, body: dict) -> httpx.Response:
        return httpx.post(self.url + path, json=body, headers=HEADERS, timeout=30)

    def recs(self, identifier_type: str, identifier: str, n: int = 10) -> httpx.Response:
        SENT.add(identifier)
        return self.get("/v1/recommendations", identifier_type=identifier_type, identifier=identifier, n=n)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    built = Path(os.environ.get("TAILOR_DUCKDB_PATH", ""))
    target = Path(os.environ.get("TAILOR_TARGET_DIR", ""))
    if not built.is_file() or not (target / "manifest.json").exists():
        pytest.skip(f"no built warehouse at {built} or no dbt manifest in {target}")
    check_build(target)
    tables = mart_relations(target / "manifest.json")
    if "dim_recommendation_items" not in tables:
        pytest.skip("the build predates the serving marts")
    out = tmp_path_factory.mktemp("published")
    publish(built, out, tables, version="v1")
    return out, built, tables


@pytest.fixture(scope="module")
def server(published, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    out, built, tables = published
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    srv = Server(out, built, tables, log_path)
    port = _free_port()
    srv.url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TAILOR_SERVE_API_KEY": API_KEY}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tailor.cli", "serve", "--published", str(out), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"server exited:\n{log_path.read_text()[-3000:]}"
            try:
                if srv.get("/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server not ready:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.2)
        yield srv
    finally:
        process.terminate()
        process.wait(timeout=30)


def published_con(srv: Server) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(srv.out / PUBLISHED_DB), read_only=True)


def test_health_needs_no_key_everything_else_does(server: Server) -> None:
    assert server.get("/health", key=False).json() == {"status": "ok"}
    for path in ("/ready", "/v1/recommendations", "/openapi.json", "/docs"):
        response = server.get(path, key=False)
        assert response.status_code == 401, path
        assert "X-API-Key" in response.json()["error"]["message"]
    wrong = httpx.get(server.url + "/ready", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    assert server.get("/ready").json()["published_version"] == "v1"
    assert "/v1/recommendations/session" in server.get("/openapi.json").json()["paths"]


def test_recommendations_by_identifier_are_the_published_rows(server: Server) -> None:
    con = published_con(server)
    person, anonymous_id = con.execute(
        "select m.person_id, m.identifier_value from dim_identity_map m "
        "join fct_recommendations r on r.person_id = m.person_id and r.rec_source = 'hybrid' "
        "where m.identifier_type = 'anonymous_id' order by 1, 2 limit 1"
    ).fetchone()
    expected = con.execute(
        "select item_id, rec_source, model_version, generated_at from fct_recommendations "
        "where person_id = ? order by rank limit 5",
        [person],
    ).fetchall()
    con.close()
    body = server.recs("anonymous_id", anonymous_id, n=5).json()
    assert body["person_id"] == person
    assert [(i["item_id"], i["rec_source"]) for i in body["items"]] == [(e[0], e[1]) for e in expected]
    assert body["model_version"] == expected[0][2]
    assert body["generated_at"] == expected[0][3].isoformat()
    assert [i["rank"] for i in body["items"]] == [1, 2, 3, 4, 5]


def test_email_is_hashed_server_side_with_the_build_salt(server: Server) -> None:
    landing = Path(os.environ["TAILOR_LANDING"]) / "crm" / "contacts" / "contacts.parquet"
    con = published_con(server)
    hashes = dict(
        con.execute(
            "select identifier_value, person_id from dim_identity_map where identifier_type = 'email_hash'"
        ).fetchall()
    )
    con.close()
    emails = [e for (e,) in duckdb.sql(f"select Email from '{landing}' where Email is not null").fetchall()]
    email = next(e.strip() for e in emails if pseudonymize(e, pii_salt()) in hashes and e.strip() == e.strip().lower())
    body = server.recs("email", email.upper()).json()
    assert body["person_id"] == hashes[pseudonymize(email, pii_salt())]
    assert server.recs("email_hash", pseudonymize(email, pii_salt())).json()["person_id"] == body["person_id"]


def test_opted_out_person_gets_popularity_only(server: Server) -> None:
    con = published_con(server)
    user_id = con.execute(
        "select m.identifier_value from dim_identity_map m join dim_customer_profiles p using (person_id) "
        "where m.identifier_type = 'user_id' and not p.has_personalization_consent order by 1 limit 1"
    ).fetchone()[0]
    con.close()
    body = server.recs("user_id", user_id, n=20).json()
    assert body["person_id"] is not None and len(body["items"]) == 20
    assert {i["rec_source"] for i in body["items"]} == {"global_popularity"}


def test_unknown_and_erased_identifiers_get_the_same_answer(server: Server) -> None:
    unknown = server.recs("anonymous_id", "never-seen-visitor-0001", n=7).json()
    assert unknown["person_id"] is None and len(unknown["items"]) == 7
    assert {i["rec_source"] for i in unknown["items"]} == {"global_popularity"}
    warehouse = duckdb.connect(str(server.build), read_only=True)
    erased = warehouse.execute(
        "select identifier_type, identifier_value from int_erasure_tombstones "
        "where identifier_type in ('user_id', 'anonymous_id', 'crm_contact_id') order by 1, 2 limit 5"
    ).fetchall()
    warehouse.close()
    assert erased, "the tiny build plants erasure requests"
    for identifier_type, value in erased:
        answer = server.recs(identifier_type, value, n=7).json()
        assert answer == unknown, f"an erased {identifier_type} is answered differently from an unknown one"


def test_bad_input_gets_a_clear_json_error(server: Server) -> None:
    cases = [
        ({"identifier_type": "anonymous_id", "identifier": "x" * 257}, "identifier"),
        ({"identifier_type": "anonymous_id", "identifier": "a b"}, "identifier"),
        ({"identifier_type": "anonymous_id", "identifier": "abc", "n": 0}, "n"),
        ({"identifier_type": "anonymous_id", "identifier": "abc", "n": 101}, "n"),
        ({"identifier_type": "phone", "identifier": "abc"}, "identifier_type"),
        ({"identifier_type": "anonymous_id"}, "identifier"),
    ]
    for params, field in cases:
        response = server.get("/v1/recommendations", **params)
        assert response.status_code == 422, params
        assert response.json()["error"]["message"].startswith(field), response.json()
    missing = server.get("/v1/similar-items/no-such-item")
    assert missing.status_code == 404 and "unknown item_id" in missing.json()["error"]["message"]
    assert server.get("/v1/profiles/no-such-person").status_code == 404
    assert server.get("/v1/nothing-here").json()["error"]["status"] == 404
    bad_item = server.post("/v1/recommendations/session", {"interactions": [{"item_id": "no-such-item"}]})
    assert bad_item.status_code == 422 and "unknown item_id" in bad_item.json()["error"]["message"]
    not_json = httpx.post(server.url + "/v1/recommendations/session", content=b"{", headers=HEADERS)
    assert not_json.status_code == 422 and not_json.json()["error"]["message"]


def test_similar_items_and_profiles_follow_the_marts_and_consent(server: Server) -> None:
    con = published_con(server)
    item = con.execute("select item_id from fct_similar_items order by item_id limit 1").fetchone()[0]
    similar = [r[0] for r in con.execute(
        "select similar_item_id from fct_similar_items where item_id = ? order by rank limit 3", [item]
    ).fetchall()]  # fmt: skip
    consented, refused = (
        con.execute(
            "select person_id from dim_customer_profiles where has_marketing_consent = ? order by 1 limit 1", [flag]
        ).fetchone()[0]
        for flag in (True, False)
    )
    con.close()
    body = server.get(f"/v1/similar-items/{item}", n=3).json()
    assert [i["item_id"] for i in body["items"]] == similar
    assert {"model_version", "generated_at", "published_version"} <= set(body)
    assert {i["rec_source"] for i in body["items"]} <= {"collaborative", "content"}
    shown = server.get(f"/v1/profiles/{consented}").json()["profile"]
    assert "age_band" in shown["marketing"] and "marketing" not in shown["withheld_purposes"]
    hidden = server.get(f"/v1/profiles/{refused}").json()["profile"]
    assert "marketing" not in hidden and "marketing" in hidden["withheld_purposes"]
    assert "age_band" not in str(hidden)


def test_session_fold_in_uses_consent_and_purchases(server: Server) -> None:
    con = published_con(server)
    items = [r[0] for r in con.execute(
        "select item_id from dim_recommendation_items where is_active and factors is not null "
        "order by popularity desc, item_id limit 4"
    ).fetchall()]  # fmt: skip
    inactive_rows = con.execute("select item_id from dim_recommendation_items where not is_active").fetchall()
    inactive = {r[0] for r in inactive_rows}
    con.close()
    interactions = [{"item_id": item, "event_type": "add_to_cart"} for item in items[:3]]
    interactions.append({"item_id": items[3], "event_type": "purchase"})
    folded = server.post(
        "/v1/recommendations/session", {"interactions": interactions, "consent": {"personalization": True}, "n": 15}
    ).json()
    assert len(folded["items"]) == 15 and folded["items"][0]["rec_source"] == "collaborative"
    assert items[3] not in {i["item_id"] for i in folded["items"]}
    assert not inactive & {i["item_id"] for i in folded["items"]}
    refused = server.post("/v1/recommendations/session", {"interactions": interactions, "n": 15}).json()
    assert {i["rec_source"] for i in refused["items"]} == {"global_popularity"}
    assert items[3] not in {i["item_id"] for i in refused["items"]}
    bad_event = server.post("/v1/recommendations/session", {"interactions": [{"item_id": items[0], "event_type": "x"}]})
    assert bad_event.status_code == 422 and "event_type" in bad_event.json()["error"]["message"]


def test_load_generator_measures_the_server(server: Server) -> None:
    """The bench's open-loop generator and raw HTTP client against the real server: every request answered,
    a server error counted as one, a request that could not be sent counted apart."""
    pools = read_pools(server.out / PUBLISHED_DB)
    makers = request_makers(pools)
    mix = [*lookup_mix(makers, 40.0), (makers["session"], 20.0)]

    async def run() -> tuple[dict, dict, float]:
        client = client_for(server.url, API_KEY)
        try:
            return await open_loop(client, mix, 1.0)
        finally:
            await client.close()

    latencies, errors, elapsed = asyncio.run(run())
    assert sum(len(v) for v in latencies.values()) == 60 and not any(errors.values())
    result = summarize("all", "open", [v for vs in latencies.values() for v in vs], [], elapsed, 60.0)
    assert result.requests == 60 and result.errors == 0 and 0 < result.p50_ms <= result.p99_ms
    failed = summarize("x", "open", [1.0], ["profiles: HTTP 500 b''", DROPPED], 1.0)
    assert (failed.requests, failed.errors, failed.dropped) == (3, 1, 1)


def test_publish_swap_while_requests_run_fails_no_request(server: Server) -> None:
    SENT.add(SWAP_VISITOR)
    failures: list[str] = []
    versions: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=30) as client:
            while not stop.is_set():
                for path, params in (
                    ("/v1/recommendations", {"identifier_type": "anonymous_id", "identifier": SWAP_VISITOR}),
                    ("/ready", {}),
                ):
                    try:
                        response = client.get(path, params=params)
                        if response.status_code != 200:
                            failures.append(f"{path} {response.status_code} {response.text[:200]}")
                        else:
                            versions.add(response.json()["published_version"])
                    except httpx.HTTPError as error:
                        failures.append(f"{path} {type(error).__name__}")

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(0.5)
        publish(server.build, server.out, server.tables, version="v2")
        deadline = time.monotonic() + SWAP_TIMEOUT_S
        while "v2" not in versions and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert not failures, failures[:5]
    assert versions == {"v1", "v2"}, f"the new publish was not picked up: saw {versions}"


def test_logs_hold_no_raw_identifier(server: Server) -> None:
    log = server.log_path.read_text()
    assert "GET /v1/recommendations 200" in log, "the request log is missing"
    leaked = [identifier for identifier in SENT if identifier in log]
    assert not leaked, f"raw identifiers in the server log: {leaked[:3]}"
