"""Runs: the crashed state, and arbitrary run fields stored or refused (never a 500)."""

from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.server.database import run
from nbtrack.server.runs import store as runs
from tests.server.support import Server, json_values


def test_a_running_run_without_heartbeat_shows_crashed() -> None:
    row = {"state": "running", "heartbeat_at": 1000.0}
    assert runs.shown_state(row, timeout=120, now=1100.0) == "running"
    assert runs.shown_state(row, timeout=120, now=1121.0) == "crashed"
    assert runs.shown_state(row | {"state": "finished"}, timeout=120, now=9999.0) == "finished"


def test_crashed_runs_are_listed_and_filtered_as_crashed(tmp_path: object) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nbtrack.server.accounts.store import new_key
    from nbtrack.server.app import create_app
    from nbtrack.server.bootstrap import ensure_admin
    from nbtrack.server.config import ServerConfig

    app = create_app(ServerConfig(data_dir=str(tmp_path), heartbeat_timeout=60))
    db = app.state.context.db
    key = new_key()
    ensure_admin(db, "admin", key)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        for run_id in ("alive", "stale"):
            client.put(f"/api/v1/runs/admin/p/{run_id}", json={"state": "running"}, headers=headers)
        with db.write() as conn:
            run(conn, "UPDATE runs SET heartbeat_at = heartbeat_at - 61 WHERE run_id = 'stale'")
        stale = client.get("/api/v1/runs/admin/p/stale", headers=headers).json()
        assert stale["state"] == "crashed"
        listed = client.get("/api/v1/projects/admin/p/runs?state=crashed", headers=headers).json()
        assert [r["id"] for r in listed["runs"]] == ["stale"]
        listed = client.get("/api/v1/projects/admin/p/runs?state=running", headers=headers).json()
        assert [r["id"] for r in listed["runs"]] == ["alive"]
        assert json.loads(
            client.post("/api/v1/runs/admin/p/stale/heartbeat", headers=headers).text
        ) == {"state": "running"}
    db.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.text(max_size=20),
    tags=st.lists(st.text(max_size=8), max_size=3),
    config=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
def test_any_run_fields_are_stored_or_refused_never_500(
    server: Server, text: str, tags: list[str], config: dict
) -> None:
    name, key = server.shared_user("any")
    path = f"/runs/{name}/fields/{uuid.uuid4().hex[:10]}"
    fields = {
        "name": text,
        "notes": text,
        "group": text,
        "tags": tags,
        "config": config,
        "summary": config,
        "git": config,
        "metadata": config,
    }
    body = json.dumps(fields)
    answer = server.send_text("PUT", path, key, body)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        got = json.loads(server.request("GET", path, key).text)
        assert (got["name"], got["notes"], got["tags"]) == (text, text, tags)
        assert json.dumps(got["config"], sort_keys=True) == json.dumps(config, sort_keys=True)
        listed = server.request("GET", f"/projects/{name}/fields/runs", key, params={"tag": text})
        assert listed.status_code in (200, 400)
