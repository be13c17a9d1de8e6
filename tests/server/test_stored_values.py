"""Values no page can show are refused when written (400 naming the field), and values already
stored (older databases, or written by hand) never take a page down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nbtrack.server.config import ServerConfig
from nbtrack.server.database import Database, run
from tests.server.support import Server

BIG = int("9" * 400)
SURROGATE = '"\\ud800"'  # a lone surrogate, as JSON text


def put_text(server: Server, key: str, path: str, body: str) -> Any:
    return server.send_text("PUT", path, key, body)


@pytest.fixture
def owner(server: Server) -> tuple[str, str]:
    return server.new_user()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('{"created_at": 1e17}', "created_at"),
        ('{"created_at": 1e300}', "created_at"),
        ('{"created_at": -1}', "created_at"),
        ('{"runtime": 1e300}', "runtime"),
        ('{"summary": {"a": ' + SURROGATE + "}}", "summary['a']"),
        ('{"config": {' + SURROGATE + ": 1}}", "config has a key"),
        ('{"metadata": {"x": {"y": [1, ' + SURROGATE + "]}}}", "metadata['x']['y'][1]"),
        ('{"git": {"branch": ' + SURROGATE + "}}", "git['branch']"),
        ('{"summary": {"big": ' + str(BIG) + "}}", "summary['big'] is an integer beyond 64 bits"),
        ('{"config": {"deep": ' + "[" * 300 + "]" * 300 + "}}", "nested more than 254"),
    ],
)
def test_values_no_page_can_show_are_refused_naming_the_field(
    server: Server, owner: tuple[str, str], uid: str, body: str, named: str
) -> None:
    name, key = owner
    answer = put_text(server, key, f"/runs/{name}/p{uid}/r", body)
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["error"]["message"]


def test_values_pages_can_show_are_kept(server: Server, owner: tuple[str, str], uid: str) -> None:
    name, key = owner
    body = {
        "created_at": 1.7e9,
        "summary": {"top": 2**64 - 1, "low": -(2**63), "nan": float("nan"), "wide": {}},
        "config": {"deep": json.loads("[" * 250 + "]" * 250), "text": "日本 \U0001f600"},
    }
    body["summary"]["wide"] = {f"k{i}": i for i in range(10_000)}
    text = json.dumps(body)
    answer = put_text(server, key, f"/runs/{name}/p{uid}/r", text)
    assert answer.status_code == 200, answer.text[:300]
    got = json.loads(server.request("GET", f"/runs/{name}/p{uid}/r", key).text)
    assert got["summary"]["top"] == 2**64 - 1 and got["config"]["text"] == "日本 \U0001f600"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("{" + SURROGATE + ": 1.0}", "offset 1: data has a key"),
        ('{"s": ' + SURROGATE + "}", "offset 1: data['s']"),
        ('{"x": ' + str(BIG) + "}", "offset 1: data['x'] is an integer beyond 64 bits"),
    ],
)
def test_history_records_that_cannot_be_stored_are_refused_whole(
    server: Server, owner: tuple[str, str], uid: str, data: str, named: str
) -> None:
    name, key = owner
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={})
    path = f"/runs/{name}/p{uid}/r/history"
    good = '{"offset": 0, "step": 0, "data": {"loss": 1.0}}'
    body = '{"records": [' + good + ', {"offset": 1, "step": 1, "data": ' + data + "}]}"
    answer = server.send_text("POST", path, key, body)
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["error"]["message"]
    assert server.ok("GET", f"/runs/{name}/p{uid}/r", key)["history_count"] == 0


@pytest.fixture
def database(server: Server) -> Iterator[Database]:
    config = ServerConfig(data_dir=str(server.data_dir), database_url=server.database_url)
    db = Database(config.database)
    yield db
    db.dispose()


STORED = {  # what an older server accepted, or what someone wrote into the database by hand
    "created_at": 1e17,
    "runtime": 1e300,
    "summary": '{"big": ' + str(BIG) + ', "s": "\\ud800", "\\udc00": 2.5, "_timestamp": 1e300}',
    "config": '{"\\ud800": "\\udfff", "deep": ' + "[" * 600 + "]" * 600 + "}",
    "metadata": '{"program": "\\ud800.py", "notebook": {"path": "\\ud800.ipynb"}}',
    "git": '{"branch": "\\ud800", "remote": "https://x/\\ud800", "diff": "+\\ud800"}',
    "tags": '["\\ud800", 5]',
}
BROKEN = {"summary": "[1, 2]", "config": "not json", "metadata": "null", "tags": "{}"}


def store(db: Database, run_id: str, columns: dict[str, Any]) -> None:
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    with db.write() as conn:
        run(conn, f"UPDATE runs SET {assignments} WHERE run_id = :id", columns | {"id": run_id})


@pytest.mark.parametrize("columns", [STORED, BROKEN], ids=["odd values", "not the right JSON"])
def test_pages_never_fail_on_stored_values(
    server: Server, database: Database, owner: tuple[str, str], uid: str, columns: dict[str, Any]
) -> None:
    name, key = owner
    run_id = f"r{uid}"
    server.ok("PUT", f"/runs/{name}/p{uid}/{run_id}", key, json={"summary": {"big": 1}})
    server.ok("PUT", f"/runs/{name}/p{uid}/other", key, json={"summary": {"big": 0.5}})
    store(database, run_id, columns)
    headers = {"Authorization": f"Bearer {key}"}
    pages = [
        f"/{name}/p{uid}",
        f"/{name}/p{uid}?sort=summary.big",
        f"/{name}/p{uid}?sort=-summary.big",
        f"/{name}/p{uid}?sort=-summary.s",
        f"/{name}/p{uid}?sort=created_at",
        f"/{name}/p{uid}/runs/{run_id}",
        f"/{name}/p{uid}/runs/{run_id}/live",
        f"/api/v1/runs/{name}/p{uid}/{run_id}",
        f"/api/v1/projects/{name}/p{uid}/runs?sort=-summary.big",
        f"/{name}",
    ]
    for page in pages:
        answer = server.client.get(page, headers=headers)
        assert answer.status_code < 500, (page, answer.status_code, answer.text[:300])
        if "sort=" not in page:  # sorting may refuse what the database cannot compare (400)
            assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
    run_page = server.client.get(f"/{name}/p{uid}/runs/{run_id}", headers=headers).text
    if columns is STORED:
        assert "1e+17 (not a date)" in run_page and "\ufffd" in run_page
