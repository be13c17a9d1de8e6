"""What a public project shows about other projects: runs of private projects that used one of its
artifacts stay hidden from anyone who cannot read those projects (anonymous or another team)."""

from __future__ import annotations

import hashlib

from tests.server.support import Server
from tests.server.test_artifacts import commit_body


def _public_dataset(server: Server, owner: str, key: str, project: str) -> None:
    sha = hashlib.sha256(b"rows").hexdigest()
    server.ok("PUT", f"/artifacts/{owner}/{project}/blobs/{sha}", key, content=b"rows")
    entries = {"rows.csv": {"digest": sha, "size": 4}}
    server.ok("POST", f"/runs/{owner}/{project}/maker/artifacts", key, json=commit_body(entries))
    server.ok("PATCH", f"/projects/{owner}/{project}", key, json={"visibility": "public"})


def test_private_users_of_a_public_artifact_stay_hidden(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    user, user_key = server.new_user()
    _, stranger = server.new_user()
    _public_dataset(server, owner, key, f"pub{uid}")
    used = {"entity": owner, "project": f"pub{uid}", "name": "ds", "version": "v0"}
    server.ok("POST", f"/runs/{user}/secret{uid}/hidden{uid}/artifacts/used", user_key, json=used)
    path = f"/artifacts/{owner}/pub{uid}/ds/v0/runs"
    assert server.ok("GET", path, user_key)["used_by"] == [f"{user}/secret{uid}/hidden{uid}"]
    for who in (None, stranger, key):
        assert server.ok("GET", path, who)["used_by"] == []
    with server.new_client() as client:
        page = client.get(f"/{owner}/pub{uid}/artifacts/ds/v0")
        assert page.status_code == 200 and f"secret{uid}" not in page.text


def test_a_blob_of_another_entity_is_not_claimed_by_its_hash(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    thief, thief_key = server.new_user()
    data = f"private weights {uid}".encode()
    sha = hashlib.sha256(data).hexdigest()
    server.ok("PUT", f"/artifacts/{owner}/secret{uid}/blobs/{sha}", key, content=data)
    claim = {"sha256": sha, "size": len(data)}
    plan = server.ok("POST", f"/artifacts/{thief}/p{uid}/uploads", thief_key, json=claim)
    assert plan["method"] != "done"
    answer = server.request(
        "POST", f"/artifacts/{thief}/p{uid}/uploads/complete", thief_key, json=claim
    )
    assert answer.status_code == 400, answer.text
    entries = {"w.bin": {"digest": sha, "size": len(data)}}
    body = commit_body(entries)
    answer = server.request("POST", f"/runs/{thief}/p{uid}/r/artifacts", thief_key, json=body)
    assert answer.status_code == 400 and "were not uploaded" in answer.text
    assert server.ok("POST", f"/artifacts/{owner}/secret{uid}/uploads/complete", key, json=claim)
