"""A ``$regex`` run filter written to backtrack without end (``(a|aa)+$`` on a long name) is
refused quickly with a 400 naming it; the server keeps answering everyone else meanwhile."""

from __future__ import annotations

import json
import time

from tests.server.support import Server


def test_a_backtracking_regex_is_refused_quickly(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    server.ok("PUT", f"/runs/{owner}/p{uid}/r", key, json={"display_name": "a" * 60 + "!"})
    server.ok("PATCH", f"/projects/{owner}/p{uid}", key, json={"visibility": "public"})
    filters = json.dumps({"display_name": {"$regex": "(a|aa)+$"}})
    started = time.monotonic()
    limit = {"timeout": 30} if server.transport == "uvicorn" else {}  # a hang fails, not waits
    answer = server.request(
        "GET", f"/projects/{owner}/p{uid}/runs", params={"filters": filters}, **limit
    )
    assert time.monotonic() - started < 20  # (the old code took hours)
    if server.backend == "sqlite":
        assert answer.status_code == 400 and "$regex" in answer.json()["error"]["message"]
    else:  # PostgreSQL's regex engine does not backtrack: answered, nothing matches
        assert answer.status_code == 200 and answer.json()["runs"] == []
    ok = {"display_name": {"$regex": "^a+!$"}}
    found = server.ok("GET", f"/projects/{owner}/p{uid}/runs", params={"filters": json.dumps(ok)})
    assert [r["id"] for r in found["runs"]] == ["r"]
