"""Alerts, entity webhooks and rewinds over the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.liveserver import wait_for
from tests.server.support import Server
from tests.webhook import Receiver


def alert(offset: int, title: str = "NaN loss", level: str = "ERROR") -> dict[str, Any]:
    return {
        "offset": offset,
        "title": title,
        "text": f"at offset {offset}",
        "level": level,
        "at": 1.5,
    }


def test_alerts_are_stored_once_and_posted_once(
    server: Server, uid: str, receiver: Receiver
) -> None:
    user, key = server.new_user()
    server.ok("PUT", f"/entities/{user}/webhook", server.admin_key, json={"url": receiver.url})
    path = f"/runs/{user}/p{uid}/r{uid}"
    batch = {"alerts": [alert(3), alert(7, "Done", "INFO")]}
    assert server.ok("POST", f"{path}/alerts", key, json=batch) == {"inserted": 2}
    assert server.ok("POST", f"{path}/alerts", key, json=batch) == {"inserted": 0}
    stored = server.ok("GET", f"{path}/alerts", key)["alerts"]
    assert [(a["offset"], a["title"], a["level"]) for a in stored] == [
        (3, "NaN loss", "ERROR"),
        (7, "Done", "INFO"),
    ]
    wait_for(lambda: len(receiver.bodies) == 2, 10, "two webhook posts")
    texts = sorted(str(b["text"]) for b in receiver.bodies)
    assert texts[0].startswith("[ERROR] NaN loss\nat offset 3\nrun ")
    assert texts[1].startswith("[INFO] Done\nat offset 7\nrun ")
    assert f"/{user}/p{uid}/runs/r{uid}" in texts[0]


def test_a_stalled_webhook_does_not_hold_up_ingest(
    server: Server, uid: str, receiver: Receiver
) -> None:
    user, key = server.new_user()
    server.ok("PUT", f"/entities/{user}/webhook", server.admin_key, json={"url": receiver.url})
    receiver.release.clear()  # the receiver accepts and then answers nothing
    path = f"/runs/{user}/p{uid}/r{uid}"
    for offset in range(3):
        server.ok("POST", f"{path}/alerts", key, json={"alerts": [alert(offset)]})
    rows = {"records": [{"offset": 10, "step": 0, "data": {"loss": 1.0}}]}
    assert server.ok("POST", f"{path}/history", key, json=rows)["inserted"] == 1
    assert receiver.bodies == []
    receiver.release.set()
    wait_for(lambda: len(receiver.bodies) == 3, 15, "the held posts")


def test_who_may_set_a_webhook(server: Server, uid: str, receiver: Receiver) -> None:
    user, key = server.new_user()
    other, other_key = server.new_user()
    team = server.new_team({user: "admin", other: "member"})
    local = server.request("PUT", f"/entities/{user}/webhook", key, json={"url": receiver.url})
    assert local.status_code == 400
    assert "private or local address" in local.json()["error"]["message"]
    assert "127.0.0.1" in local.json()["error"]["message"]
    for bad in ("ftp://example.com/x", "not a url", "http://", "http://[::1", "http://h:99999/"):
        answer = server.request("PUT", f"/entities/{user}/webhook", key, json={"url": bad})
        assert answer.status_code == 400 and "not an http(s) URL" in answer.text
    assert (
        server.request("PUT", f"/entities/{team}/webhook", other_key, json={"url": "x"}).status_code
        == 403
    )
    assert server.request("GET", f"/entities/{team}/webhook", other_key).status_code == 403
    assert (
        server.request("PUT", f"/entities/{other}/webhook", key, json={"url": "x"}).status_code
        == 403
    )
    assert server.request("PUT", f"/entities/{user}/webhook", json={"url": "x"}).status_code == 401
    server.ok("PUT", f"/entities/{team}/webhook", server.admin_key, json={"url": receiver.url})
    assert server.ok("GET", f"/entities/{team}/webhook", key)["url"] == receiver.url
    assert server.ok("DELETE", f"/entities/{team}/webhook", key)["url"] is None
    assert server.ok("GET", f"/entities/{team}/webhook", key)["url"] is None


def test_bad_alerts_are_refused(server: Server, uid: str) -> None:
    user, key = server.new_user()
    path = f"/runs/{user}/p{uid}/r{uid}/alerts"
    for bad in (
        {"alerts": [alert(1, level="LOUD")]},
        {"alerts": [alert(-1)]},
        {"alerts": [alert(1, title="")]},
        {"alerts": [{**alert(1), "text": "nul\x00"}]},
        {"alerts": "nope"},
    ):
        answer = server.request("POST", path, key, json=bad)
        assert answer.status_code == 400, (bad, answer.text)


def test_rewind_drops_records_past_the_offset(server: Server, uid: str) -> None:
    user, key = server.new_user()
    path = f"/runs/{user}/p{uid}/r{uid}"
    rows = [{"offset": i + 2, "step": i, "data": {"_step": i, "x": i}} for i in range(10)]
    server.ok("POST", f"{path}/history", key, json={"records": rows})
    server.ok("PUT", path, key, json={"state": "finished", "exit_code": 0})
    server.ok("POST", f"{path}/alerts", key, json={"alerts": [alert(6), alert(13)]})
    answer = server.ok("POST", f"{path}/rewind", key, json={"offset": 7})  # steps 0..4 stay
    assert answer["dropped"] == 5
    run = server.ok("GET", path, key)
    assert (run["history_count"], run["summary"]["x"], run["state"]) == (5, 4, "running")
    assert [a["offset"] for a in server.ok("GET", f"{path}/alerts", key)["alerts"]] == [6]
    chart = server.ok("GET", f"{path}/history", key, params={"samples": 2, "keys": "x"})
    assert max(chart["series"]["x"]["values"]) == 4  # the chart buckets were rebuilt too
    again = [
        {"offset": 7 + i, "step": 5 + i, "data": {"_step": 5 + i, "x": 100 + i}} for i in range(2)
    ]
    assert server.ok("POST", f"{path}/history", key, json={"records": again})["inserted"] == 2
    page = server.ok("GET", f"{path}/history", key)["rows"]
    assert [(r["_step"], r["x"]) for r in page] == [(i, i) for i in range(5)] + [(5, 100), (6, 101)]
    assert server.ok("GET", path, key)["summary"]["x"] == 101
    assert server.request("POST", f"{path}/rewind", key, json={"offset": -1}).status_code == 400
    _, other_key = server.new_user()
    assert (
        server.request("POST", f"{path}/rewind", other_key, json={"offset": 0}).status_code == 403
    )
