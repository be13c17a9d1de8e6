"""Fuzz every write route of a real server (uvicorn, SQLite and PostgreSQL), add hand-made values
through the API and straight into the database, then crawl every web page and read route of the
affected projects: no answer is a 5xx and the server's log holds no traceback.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import requests
from hypothesis import HealthCheck, given, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis

from nbtrack.server.accounts.store import new_key
from nbtrack.server.database import Database, run
from nbtrack.server.runs.store import STATES
from tests.server.support import free_port, server_command, start_process, stop_process

pytestmark = pytest.mark.slow
WRITES = {"PUT", "POST", "PATCH", "DELETE"}
INPUTS = 200  # fuzzed inputs per backend, shared by the write routes
PROJECT, HAND, DIRECT = "fuzz", "hand", "direct"
RUN_IDS = ("r0", "r1", "r2")
SORTS = ("created_at", "updated_at", "heartbeat_at", "name", "id", "state", "runtime")
BIG = "9" * 400
SURROGATE = '"\\ud800"'
DEEP = "[" * 300 + "]" * 300
WIDE = json.dumps({f"k{i}": i for i in range(10_000)})
WIDE_TEXT = json.dumps({f"k{i}": "v" for i in range(10_000)})  # a row: no 10,000 charts


def test_fuzzed_writes_and_stored_values_never_break_a_page(
    fresh_database: str, tmp_path: Path
) -> None:
    key, port = new_key(), free_port()
    command = server_command(port, tmp_path, fresh_database, "--admin-key", key)
    process = start_process(command, port)
    answers: list[tuple[int, str]] = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            fuzz_writes(client, key, answers)
            hand_made(client, answers)
            stored_directly(fresh_database, client)
            for project in (PROJECT, HAND, DIRECT):
                crawl(client, "admin", project, answers)
    finally:
        log = stop_process(process)
    failures = [a for a in answers if a[0] >= 500]
    assert failures == [], failures[:10]
    assert "Traceback" not in log, log[-3000:]
    assert len(answers) > INPUTS, len(answers)


# --- fuzzing: every write route, its path pinned to the projects crawled afterwards ---


def fuzz_writes(client: httpx.Client, key: str, answers: list[tuple[int, str]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
        operations = [r.ok() for r in schema.get_all_operations()]
    writes = [op for op in operations if op.method.upper() in WRITES]
    assert len(writes) >= 10, [op.path for op in writes]
    own_keys = {k["id"] for k in client.get("/api/v1/users/admin/keys").json()}
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for operation in writes:
            fuzz(operation, str(client.base_url), session, own_keys, answers, len(writes))


def fuzz(
    operation: Any,
    base_url: str,
    session: requests.Session,
    own_keys: set[int],
    answers: list[tuple[int, str]],
    routes: int,
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=-(-INPUTS // routes),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        pin(case, own_keys, len(answers))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            answer = case.call(base_url=base_url, session=session)
        where = f"{case.method} {case.formatted_path}"
        answers.append((answer.status_code, where))
        assert answer.status_code < 500, (where, answer.status_code, answer.text[:300])

    check()


def pin(case: Any, own_keys: set[int], count: int) -> None:
    """Writes land in the crawled project's runs; the admin's own keys stay valid."""
    params = case.path_parameters
    if params is None:
        return
    if "entity" in params:
        params["entity"] = "admin"
    if "project" in params:
        params["project"] = PROJECT
    if "run_id" in params:
        params["run_id"] = RUN_IDS[count % len(RUN_IDS)]
    if params.get("key_id") in own_keys:
        params["key_id"] = 10**9


# --- hand-made values through the API: refused with a 400, or stored ---

REFUSED_RUNS = [
    '{"created_at": 1e17}',
    '{"created_at": 1e300}',
    '{"created_at": -1e17}',
    '{"runtime": 1e300}',
    '{"summary": {"s": ' + SURROGATE + "}}",
    '{"config": {' + SURROGATE + ": 1}}",
    '{"metadata": {"program": ' + SURROGATE + "}}",
    '{"git": {"branch": ' + SURROGATE + "}}",
    '{"summary": {"big": ' + BIG + "}}",
    '{"config": {"deep": ' + DEEP + "}}",
    '{"name": ' + SURROGATE + "}",
]
KEPT_RUNS = [
    '{"summary": {"nan": NaN, "inf": Infinity, "ninf": -Infinity, "top": 18446744073709551615}}',
    '{"config": ' + WIDE + ', "summary": {"wide": ' + WIDE + "}}",
    '{"config": {"deep": ' + "[" * 200 + "]" * 200 + "}}",
    '{"created_at": 0, "runtime": 0.25, "summary": {"_timestamp": 1e300}}',
]
REFUSED_ROWS = ["{" + SURROGATE + ": 1}", '{"s": ' + SURROGATE + "}", '{"b": ' + BIG + "}"]
KEPT_ROWS = [
    '{"x": NaN, "y": Infinity, "z": -Infinity}',
    WIDE_TEXT,
    '{"d": ' + "[" * 200 + "]" * 200 + "}",
]


def hand_made(client: httpx.Client, answers: list[tuple[int, str]]) -> None:
    post = _poster(client, answers)
    for i, body in enumerate(REFUSED_RUNS):
        assert post("PUT", f"/api/v1/runs/admin/{HAND}/bad{i}", body) == 400, body[:80]
    for i, body in enumerate(KEPT_RUNS):
        assert post("PUT", f"/api/v1/runs/admin/{HAND}/ok{i}", body) == 200, body[:80]
    for i, data in enumerate(REFUSED_ROWS + KEPT_ROWS):
        record = f'{{"records": [{{"offset": {i}, "step": {i}, "data": {data}}}]}}'
        status = post("POST", f"/api/v1/runs/admin/{HAND}/rows/history", record)
        assert status == (400 if i < len(REFUSED_ROWS) else 200), data[:80]


def _poster(client: httpx.Client, answers: list[tuple[int, str]]) -> Callable[[str, str, str], int]:
    def post(method: str, path: str, body: str) -> int:
        headers = {"Content-Type": "application/json"}
        status = client.request(method, path, content=body, headers=headers).status_code
        answers.append((status, f"{method} {path}"))
        return status

    return post


# --- hand-made values written straight into the database (older servers, or by hand) ---

ODD_COLUMNS: list[dict[str, Any]] = [
    {"created_at": 1e17, "runtime": 1e300},
    {"created_at": -1e17, "heartbeat_at": 1e300, "updated_at": -1e300},
    {"created_at": float("inf"), "runtime": float("-inf")},
    {"summary": '{"big": ' + BIG + ', "s": "\\ud800", "\\udc00": 1.5, "_timestamp": -1e300}'},
    {"config": '{"\\ud800": "\\udfff", "deep": ' + "[" * 2000 + "]" * 2000 + "}"},
    {"metadata": '{"program": "\\ud800", "notebook": {"path": "\\udfff"}, "command": "\\ud800"}'},
    {"git": '{"branch": "\\ud800", "remote": "git@\\ud800:x", "diff": "+\\ud800", "dirty": 1}'},
    {"summary": WIDE, "tags": '["\\ud800", 1, null]'},
    {"summary": "[1]", "config": "{", "metadata": "null", "git": "7", "tags": "{}"},
]
ODD_ROWS = [
    '{"\\ud800": 1.0, "s": "\\udc00"}',
    '{"b": ' + BIG + "}",
    '{"d": ' + "[" * 2000 + "]" * 2000 + "}",
    "[1, 2]",
    "not json",
    '{"x": NaN, "_timestamp": 1e300}',
]


def stored_directly(database_url: str, client: httpx.Client) -> None:
    for i in range(len(ODD_COLUMNS)):
        body = {"summary": {"v": i}, "state": "finished"}
        client.put(f"/api/v1/runs/admin/{DIRECT}/odd{i}", json=body).raise_for_status()
    client.put(f"/api/v1/runs/admin/{DIRECT}/drows", json={"summary": {"x": 1}}).raise_for_status()
    db = Database(database_url)
    try:
        with db.write() as conn:
            for i, columns in enumerate(ODD_COLUMNS):
                sets = ", ".join(f"{c} = :{c}" for c in columns)
                run(conn, f"UPDATE runs SET {sets} WHERE run_id = :id", columns | {"id": f"odd{i}"})
            pk = run(conn, "SELECT pk FROM runs WHERE run_id = 'drows'").scalar()
            values = [{"r": pk, "o": i, "d": d} for i, d in enumerate(ODD_ROWS)]
            run(conn, "INSERT INTO history_rows VALUES (:r, :o, :o, :d)", values)
            buckets = "INSERT INTO metric_buckets VALUES (:r, 'x', 0, 0, 2, 0, :lo, 5, :hi)"
            run(conn, buckets, {"r": pk, "lo": float("-inf"), "hi": float("inf")})
            run(conn, "INSERT INTO history_keys VALUES (:r, 'x')", {"r": pk})
    finally:
        db.dispose()


# --- the crawl: every page and read route of a project ---


def crawl(client: httpx.Client, entity: str, project: str, answers: list[tuple[int, str]]) -> None:
    listed = client.get(f"/api/v1/projects/{entity}/{project}/runs", params={"limit": 1000})
    assert listed.status_code == 200, listed.text[:300]
    found = json.loads(listed.text)["runs"]
    base = f"/{entity}/{project}"
    urls = [f"/{entity}", base, f"{base}?page=2", f"/api/v1/projects/{entity}/{project}"]
    urls += [f"{base}?state={s}" for s in STATES]
    for field in [*SORTS, *(f"summary.{k}" for k in summary_keys(found))]:
        query = quote(field, errors="surrogatepass")
        urls += [f"{base}?sort={query}", f"/api/v1/projects/{entity}/{project}/runs?sort=-{query}"]
    for r in found:
        urls += run_urls(client, entity, project, r["id"])
    for url in urls:
        answer = client.get(url)
        answers.append((answer.status_code, f"GET {url}"))


def summary_keys(found: list[dict[str, Any]], limit: int = 8) -> list[str]:
    keys: list[str] = []
    for r in found:
        for k in list(r["summary"])[:2]:
            if k not in keys:
                keys.append(k)
    return keys[:limit]


def run_urls(client: httpx.Client, entity: str, project: str, run_id: str) -> list[str]:
    api = f"/api/v1/runs/{entity}/{project}/{run_id}"
    urls = [
        f"/{entity}/{project}/runs/{run_id}",
        f"/{entity}/{project}/runs/{run_id}/live",
        api,
        f"{api}/history",
        f"{api}/history?keys=x,s,d,_timestamp",
        f"{api}/history?samples=10",
        f"{api}/history/keys",
        f"{api}/files",
    ]
    listing = client.get(f"{api}/files")
    if listing.status_code == 200:
        urls += [f"{api}/files/{quote(f['name'], errors='surrogatepass')}" for f in listing.json()]
    return urls[:20]
