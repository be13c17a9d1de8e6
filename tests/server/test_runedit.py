"""PATCH and DELETE of a run and sampled history rows, over HTTP, with the permission rules."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tests.server.support import Server


def make_run(server: Server, key: str, path: str, steps: int = 0) -> None:
    server.ok("PUT", f"/runs/{path}", key, json={"name": "first", "config": {"a": 1, "b": 2}})
    if steps:
        records = [
            {
                "offset": i,
                "step": i,
                "data": {"_step": i, "x": i, **({"y": i} if i % 3 == 0 else {})},
            }
            for i in range(steps)
        ]
        server.ok("POST", f"/runs/{path}/history", key, json={"records": records})


def test_patch_replaces_config_and_summary_and_sets_fields(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"{name}/e{uid}/r1"
    make_run(server, key, path)
    body = {"name": "second", "notes": "n", "tags": ["t"], "config": {"a": 5}, "summary": {"s": 1}}
    changed = server.ok("PATCH", f"/runs/{path}", key, json=body)
    assert (changed["name"], changed["notes"], changed["tags"]) == ("second", "n", ["t"])
    assert changed["config"] == {"a": 5} and changed["summary"] == {"s": 1}
    again = server.ok("GET", f"/runs/{path}", key)
    assert again["config"] == {"a": 5} and again["name"] == "second"
    tagged = server.ok("GET", f"/projects/{name}/e{uid}/runs", key, params={"tag": "t"})
    assert [r["id"] for r in tagged["runs"]] == ["r1"]
    assert server.request("PATCH", f"/runs/{name}/e{uid}/nope", key, json={}).status_code == 404
    bad = server.request("PATCH", f"/runs/{path}", key, json={"config": [1]})
    assert bad.status_code == 400 and "config" in bad.text


def test_edits_follow_the_permission_rules(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    other, other_key = server.new_user()
    path = f"{owner}/e{uid}/r1"
    make_run(server, key, path, steps=10)
    for method in ("PATCH", "DELETE"):
        kw = {"json": {"name": "x"}} if method == "PATCH" else {}
        assert server.request(method, f"/runs/{path}", **kw).status_code == 401
        assert server.request(method, f"/runs/{path}", other_key, **kw).status_code == 404
    sampled = f"/runs/{path}/history/sampled"
    assert server.request("GET", sampled).status_code == 404  # private: looks missing
    server.ok("PATCH", f"/projects/{owner}/e{uid}", key, json={"visibility": "public"})
    assert len(server.ok("GET", sampled, params={"samples": 3})["rows"]) == 3
    for method in ("PATCH", "DELETE"):
        kw = {"json": {"name": "x"}} if method == "PATCH" else {}
        refused = server.request(method, f"/runs/{path}", other_key, **kw)
        assert refused.status_code == 403 and owner in refused.json()["error"]["message"]
    team = server.new_team({other: "viewer"})
    make_run(server, server.admin_key, f"{team}/e{uid}/r2")
    assert server.request("DELETE", f"/runs/{team}/e{uid}/r2", other_key).status_code == 403


def test_delete_removes_rows_and_files(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"{name}/e{uid}/r1"
    make_run(server, key, path, steps=50)
    server.ok("PUT", f"/runs/{path}/files/out/a.txt", key, content=b"hi")
    folders = {p.parent.parent for p in Path(server.data_dir).rglob("out/a.txt")}
    assert server.ok("DELETE", f"/runs/{path}", key) == {"id": "r1", "deleted": True}
    assert server.request("GET", f"/runs/{path}", key).status_code == 404
    assert server.request("GET", f"/runs/{path}/history", key).status_code == 404
    assert server.ok("GET", f"/projects/{name}/e{uid}", key)["run_count"] == 0
    assert folders and not any((f / "out" / "a.txt").exists() for f in folders)
    make_run(server, key, path, steps=5)  # the id is free again, with nothing left over
    assert len(server.ok("GET", f"/runs/{path}/history", key)["rows"]) == 5


def test_sampled_history_spreads_rows_and_keeps_keyed_rows(server: Server, uid: str) -> None:
    name, key = server.new_user()
    path = f"{name}/e{uid}/r1"
    make_run(server, key, path, steps=100)
    rows = server.ok("GET", f"/runs/{path}/history/sampled", key, params={"samples": 10})["rows"]
    assert [r["_step"] for r in rows] == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]
    keyed = server.ok(
        "GET", f"/runs/{path}/history/sampled", key, params={"samples": 500, "keys": "_step,y"}
    )["rows"]
    assert keyed == [{"_step": i, "y": i} for i in range(0, 100, 3)]
    nan_row = {"offset": 100, "step": 100, "data": {"_step": 100, "y": float("nan")}}
    server.ok("POST", f"/runs/{path}/history", key, content=json.dumps({"records": [nan_row]}))
    keyed = server.ok("GET", f"/runs/{path}/history/sampled", key, params={"keys": "y"})["rows"]
    assert len(keyed) == 35 and math.isnan(keyed[-1]["y"])  # NaN rows hold the key too
    bad = server.request("GET", f"/runs/{path}/history/sampled", key, params={"keys": 'a"b'})
    assert bad.status_code == 400
