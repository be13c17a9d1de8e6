"""Every /api/v1 route, against the in-process app and a real uvicorn, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math

from tests.server.support import Server


def records(start: int, stop: int, **extra: float) -> dict[str, object]:
    rows = [
        {
            "offset": i,
            "step": i,
            "data": {"_step": i, "loss": 1.0 / (i + 1), "acc": i / 1000, **extra},
        }
        for i in range(start, stop)
    ]
    return {"records": rows}


def test_health_names_version_and_database(server: Server) -> None:
    body = server.ok("GET", "/health")
    assert body == {"status": "ok", "version": "0.1.0", "database": server.backend}


def test_openapi_schema_is_served(server: Server) -> None:
    schema = server.ok("GET", "/openapi.json")
    assert "/api/v1/runs/{entity}/{project}/{run_id}/history" in schema["paths"]


def test_viewer_answers_the_key_owner(server: Server) -> None:
    name, key = server.new_user()
    team = server.new_team({name: "viewer"})
    body = server.ok("GET", "/viewer", key)
    assert body["username"] == name and body["entity"] == name
    assert body["teams"] == [{"name": team, "role": "viewer"}]


def test_put_run_creates_then_merges(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r1"
    first = {
        "name": "first",
        "config": {"lr": 0.1, "bs": 8},
        "tags": ["a", "b"],
        "notes": "n",
        "group": "g",
        "job_type": "train",
        "git": {"commit": "abc"},
        "metadata": {"command": "python t.py", "python": "3.11"},
        "state": "running",
    }
    created = server.ok("PUT", path, key, json=first)
    assert created["url"] == f"{server.base_url}/{name}/p{uid}/runs/r1"
    assert (created["id"], created["entity"], created["project"]) == ("r1", name, f"p{uid}")
    updated = server.ok(
        "PUT",
        path,
        key,
        json={
            "config": {"lr": 0.2},
            "summary": {"acc": 0.9},
            "state": "finished",
            "exit_code": 0,
            "runtime": 12.5,
        },
    )
    assert updated["config"] == {"lr": 0.2, "bs": 8}
    assert updated["summary"] == {"acc": 0.9}
    assert updated["tags"] == ["a", "b"] and updated["notes"] == "n" and updated["group"] == "g"
    assert (updated["state"], updated["exit_code"], updated["runtime"]) == ("finished", 0, 12.5)
    assert updated["git"] == {"commit": "abc"} and updated["created_at"] == created["created_at"]
    again = server.ok("PUT", path, key, json={"config": {"lr": 0.2}})
    assert again["config"] == updated["config"]
    assert server.ok("GET", path, key)["name"] == "first"


def test_non_finite_floats_travel_as_bare_literals(server: Server, uid: str) -> None:
    name, key = server.new_user()
    body = json.dumps({"config": {"a": math.nan, "b": math.inf, "c": -math.inf}})
    response = server.send_text("PUT", f"/runs/{name}/p{uid}/r", key, body)
    assert response.status_code == 200, response.text
    assert '"a":NaN' in response.text and '"b":Infinity' in response.text
    config = json.loads(response.text)["config"]
    assert math.isnan(config["a"]) and config["b"] == math.inf and config["c"] == -math.inf


def test_history_rows_pages_keys_and_ranges(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/history"
    assert server.ok("POST", path, key, json=records(0, 25)) == {"inserted": 25, "max_offset": 24}
    page = server.ok("GET", path, key, params={"limit": 10})
    assert [r["_step"] for r in page["rows"]] == list(range(10))
    assert page["next_min_step"] == 10 and page["rows"][3]["loss"] == 0.25
    rest = server.ok("GET", path, key, params={"min_step": 20, "max_step": 22, "keys": "acc"})
    assert rest == {
        "rows": [{"_step": s, "acc": s / 1000} for s in (20, 21, 22)],
        "next_min_step": None,
    }
    assert server.ok("GET", path + "/keys", key) == {"keys": ["acc", "loss"]}


def test_history_append_is_idempotent_under_retries_and_overlaps(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/history"
    assert server.ok("POST", path, key, json=records(0, 100))["inserted"] == 100
    assert server.ok("POST", path, key, json=records(0, 100))["inserted"] == 0
    assert server.ok("POST", path, key, json=records(50, 150)) == {
        "inserted": 50,
        "max_offset": 149,
    }
    assert server.ok("POST", path, key, json=records(140, 141))["inserted"] == 0
    rows = server.ok("GET", path, key, params={"limit": 1000})["rows"]
    assert [r["_step"] for r in rows] == list(range(150))
    run = server.ok("GET", f"/runs/{name}/p{uid}/r", key)
    assert (run["history_count"], run["max_offset"]) == (150, 149)
    assert run["summary"]["loss"] == 1.0 / 150


def test_chart_keeps_each_buckets_min_and_max(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/history"
    values = [math.sin(i / 50) * (1 + i / 1000) for i in range(5000)]
    values[1234], values[4321] = 99.0, -99.0
    batch = [{"offset": i, "step": i, "data": {"x": v}} for i, v in enumerate(values)]
    server.ok("POST", path, key, json={"records": batch})
    series = server.ok("GET", path, key, params={"samples": 100, "keys": "x"})["series"]["x"]
    assert 10 < len(series["steps"]) <= 100
    assert series["steps"] == sorted(series["steps"])
    assert (1234, 99.0) in zip(series["steps"], series["values"], strict=True)
    assert (4321, -99.0) in zip(series["steps"], series["values"], strict=True)
    part = server.ok("GET", path, key, params={"samples": 100, "min_step": 10, "max_step": 19})
    assert part["series"]["x"]["steps"] == list(range(10, 20))


def test_chart_sends_non_finite_values_as_null(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/history"
    body = json.dumps(
        {
            "records": [
                {"offset": i, "step": i, "data": {"y": v}}
                for i, v in enumerate([1.0, math.nan, math.inf, 2.0])
            ]
        }
    )
    server.ok("POST", path, key, content=body, headers={"Content-Type": "application/json"})
    chart = server.request("GET", path, key, params={"samples": 10, "keys": "y"})
    assert chart.json()["series"]["y"] == {"steps": [0, 1, 2, 3], "values": [1.0, None, None, 2.0]}
    assert "NaN" in server.request("GET", path, key).text


def test_heartbeat_keeps_the_run_running(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r"
    before = server.ok("PUT", path, key, json={"state": "running"})["heartbeat_at"]
    assert server.ok("POST", path + "/heartbeat", key) == {"state": "running"}
    assert server.ok("GET", path, key)["heartbeat_at"] >= before


def test_files_upload_list_and_download(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/files"
    stored = server.ok("PUT", path + "/code/train.py", key, content=b"print(1)\n")
    assert (stored["name"], stored["size"]) == ("code/train.py", 9)
    server.ok("PUT", path + "/model.bin", key, content=bytes(range(256)))
    listed = server.ok("GET", path, key)
    assert [(f["name"], f["size"]) for f in listed] == [("code/train.py", 9), ("model.bin", 256)]
    assert server.request("GET", path + "/model.bin", key).content == bytes(range(256))
    assert server.request("GET", path + "/missing.txt", key).status_code == 404


def test_file_names_that_leave_the_run_folder_are_refused(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r/files/"
    for bad in (
        "..%2F..%2Fetc%2Fpasswd",
        "a/../../b",
        "a%5Cb",
        "a%00b",
        "%2Fabs",
        "a//b",
        "%2E%2E%2Fx",
        "a/%2E/b",
    ):
        response = server.request("PUT", path + bad, key, content=b"x")
        assert response.status_code in (400, 404), (bad, response.text)
        assert "error" in response.json()
    assert not list((server.data_dir / "..").glob("passwd"))


def test_project_routes_list_show_and_set_visibility(server: Server, uid: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r1", key, json={})
    server.ok("PUT", f"/runs/{name}/p{uid}/r2", key, json={})
    listed = server.ok("GET", f"/entities/{name}/projects", key)
    assert [(p["name"], p["visibility"], p["run_count"]) for p in listed] == [
        (f"p{uid}", "private", 2)
    ]
    changed = server.ok("PATCH", f"/projects/{name}/p{uid}", key, json={"visibility": "public"})
    assert changed["visibility"] == "public"
    assert server.ok("GET", f"/projects/{name}/p{uid}")["visibility"] == "public"


def test_run_list_filters_sorts_and_paginates(server: Server, uid: str) -> None:
    name, key = server.new_user()
    for i in range(7):
        server.ok(
            "PUT",
            f"/runs/{name}/p{uid}/r{i}",
            key,
            json={
                "name": f"run-{i}",
                "tags": ["even"] if i % 2 == 0 else ["odd"],
                "group": "g1" if i < 3 else "g2",
                "summary": {"acc": (i * 3) % 7},
                "state": "finished" if i < 5 else "running",
            },
        )
    runs = f"/projects/{name}/p{uid}/runs"
    page = server.ok("GET", runs, key, params={"limit": 3, "offset": 0, "sort": "name"})
    assert page["total"] == 7 and [r["name"] for r in page["runs"]] == ["run-0", "run-1", "run-2"]
    page = server.ok("GET", runs, key, params={"limit": 3, "offset": 6, "sort": "name"})
    assert [r["name"] for r in page["runs"]] == ["run-6"]
    newest = server.ok("GET", runs, key)["runs"][0]
    assert newest["id"] == "r6"
    even = server.ok("GET", runs, key, params={"tag": "even"})
    assert sorted(r["id"] for r in even["runs"]) == ["r0", "r2", "r4", "r6"]
    assert server.ok("GET", runs, key, params={"group": "g1"})["total"] == 3
    assert server.ok("GET", runs, key, params={"state": "running"})["total"] == 2
    best = server.ok("GET", runs, key, params={"sort": "-summary.acc", "limit": 2})
    assert [r["summary"]["acc"] for r in best["runs"]] == [6, 5]
    bad = server.request("GET", runs, key, params={"sort": "nope"})
    assert bad.status_code == 400 and "nope" in bad.json()["error"]["message"]


def test_a_run_id_used_in_another_project_is_a_conflict(server: Server, uid: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/a{uid}/same", key, json={})
    response = server.request("PUT", f"/runs/{name}/b{uid}/same", key, json={})
    assert response.status_code == 409
    assert f"a{uid}" in response.json()["error"]["message"]


def test_api_keys_are_shown_once_listed_and_revocable(server: Server) -> None:
    name, key = server.new_user()
    created = server.ok("POST", f"/users/{name}/keys", key, json={"label": "laptop"})
    second = created["api_key"]
    assert second.startswith("nbt_") and len(second) == 44
    listed = server.ok("GET", f"/users/{name}/keys", key)
    assert [k["label"] for k in listed] == ["first key", "laptop"]
    assert all("api_key" not in k and "key_hash" not in k for k in listed)
    assert server.ok("GET", "/viewer", second)["username"] == name
    server.ok("DELETE", f"/keys/{created['id']}", key)
    refused = server.request("GET", "/viewer", second)
    assert refused.status_code == 401 and "nbtrack login" in refused.json()["error"]["message"]


def test_team_members_are_managed_by_team_admins(server: Server) -> None:
    boss, boss_key = server.new_user()
    worker, _ = server.new_user()
    team = server.new_team({boss: "admin"})
    server.ok("PUT", f"/teams/{team}/members/{worker}", boss_key, json={"role": "member"})
    assert server.ok("DELETE", f"/teams/{team}/members/{worker}", boss_key) == {"removed": True}
    other, other_key = server.new_user()
    denied = server.request(
        "PUT", f"/teams/{team}/members/{other}", other_key, json={"role": "admin"}
    )
    assert denied.status_code == 403
    assert server.request("POST", "/admin/teams", other_key, json={"name": "x"}).status_code == 403


def test_errors_are_json_with_a_message(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r"
    cases = [
        server.send_text("PUT", path, key, b"{not json"),
        server.request("PUT", path, key, json={"exit_code": "zero"}),
        server.request("PUT", path, key, json={"tags": "not-a-list"}),
        server.request("POST", path + "/history", key, json={"records": [{"offset": -1}]}),
        server.request("PUT", path, key, json=[1, 2]),
        server.request("PUT", f"/runs/{name}/bad%20name/r", key, json={}),
        server.request("PUT", f"/runs/{name}/p/bad.id", key, json={}),
        server.request("GET", path + "/history", key, params={"samples": "many"}),
    ]
    for response in cases:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid"
    assert "exit_code" in cases[1].json()["error"]["message"]
    missing = server.request("GET", "/no/such/route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert server.request("DELETE", "/health").status_code == 405


def test_unreadable_bodies_and_file_folder_clashes_are_400(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p{uid}/r"
    json_headers = {"Content-Type": "application/json"}
    deep = '{"config": {"a": ' + "[" * 5000 + "]" * 5000 + "}}"
    for body in (deep, '{"config": {"a": ' + "9" * 5000 + "}}", b'{"name": "\xff"}'):
        answer = server.request("PUT", path, key, content=body, headers=json_headers)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    server.ok("PUT", path + "/files/a/b.txt", key, content=b"x")
    for clash in ("a", "a/b.txt/c"):
        answer = server.request("PUT", path + "/files/" + clash, key, content=b"y")
        assert answer.status_code == 400 and "clashes" in answer.json()["error"]["message"]
    assert server.request("GET", path + "/files/a", key).status_code == 404
