"""The artifact routes with bad input: lying or truncated blobs, commits naming files never
uploaded, bad names and aliases, other users' projects, and a store that refuses writes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.server.support import Server

HEADER = b"nbtrack-artifact-manifest-v1\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commit_body(entries: dict[str, Any], name: str = "ds", **extra: Any) -> dict[str, Any]:
    hasher = hashlib.sha256(HEADER)
    for path in sorted(entries):
        hasher.update(f"{path}:{entries[path]['digest']}\n".encode())
    return {
        "name": name,
        "type": "dataset",
        "digest": hasher.hexdigest(),
        "entries": entries,
        **extra,
    }


def test_blob_must_match_its_sha256(server: Server) -> None:
    name, key = server.new_user()
    base = f"/artifacts/{name}/p/blobs"
    lying = server.request("PUT", f"{base}/{_sha(b'good')}", key, content=b"evil")
    assert lying.status_code == 400 and "do not match" in lying.json()["error"]["message"]
    missing = server.ok("POST", f"{base}/missing", key, json={"sha256": [_sha(b"good")]})
    assert missing == {"missing": [_sha(b"good")]}
    assert server.ok("PUT", f"{base}/{_sha(b'good')}", key, content=b"good")["size"] == 4
    assert server.ok("POST", f"{base}/missing", key, json={"sha256": [_sha(b"good")]}) == {
        "missing": []
    }


def test_batch_of_blobs_and_a_truncated_one(server: Server) -> None:
    name, key = server.new_user()
    base = f"/artifacts/{name}/p/blobs"
    items = [b"one", b"two", b"three"]
    index = json.dumps({"blobs": [[_sha(i), len(i)] for i in items]}).encode() + b"\n"
    assert server.ok("POST", base, key, content=index + b"".join(items)) == {"stored": 3}
    cut = index + b"".join(items)[:-2]
    answer = server.request("POST", base, key, content=cut)
    assert answer.status_code == 400 and "ended inside blob" in answer.json()["error"]["message"]


def test_commit_needs_its_files_uploaded_and_a_true_digest(server: Server) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p/r", key, json={})
    entries = {"a.txt": {"digest": _sha(b"never sent"), "size": 10}}
    answer = server.request("POST", f"/runs/{name}/p/r/artifacts", key, json=commit_body(entries))
    assert answer.status_code == 400 and "were not uploaded" in answer.json()["error"]["message"]
    body = commit_body(entries) | {"digest": "0" * 64}
    answer = server.request("POST", f"/runs/{name}/p/r/artifacts", key, json=body)
    assert answer.status_code == 400 and "digest is not the digest" in answer.text


def test_bad_names_paths_and_aliases_are_refused(server: Server) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"{blobs_of(name)}/{_sha(b'x')}", key, content=b"x")
    entry = {"digest": _sha(b"x"), "size": 1}
    for bad in (
        commit_body({"../x": entry}),
        commit_body({"a.txt": entry}, name="a..b"),
        commit_body({"a.txt": entry}, aliases=["no/slash"]),
    ):
        answer = server.request("POST", f"/runs/{name}/p/r/artifacts", key, json=bad)
        assert answer.status_code == 400, answer.text
    answer = server.request("GET", f"/artifacts/{name}/p/ds/bad:alias", key)
    assert answer.status_code in (400, 404, 422), answer.text
    ok = server.ok("POST", f"/runs/{name}/p/r/artifacts", key, json=commit_body({"a.txt": entry}))
    assert ok["version"] == "v0" and ok["aliases"] == ["latest"]
    answer = server.request("PATCH", f"/artifacts/{name}/p/ds/v0", key, json={"aliases": ["v9"]})
    assert answer.status_code == 400 and "is a version name" in answer.text


def blobs_of(entity: str) -> str:
    return f"/artifacts/{entity}/p/blobs"


def test_private_artifacts_answer_strangers_as_missing(server: Server) -> None:
    owner, key = server.new_user()
    _, stranger = server.new_user()
    server.ok("PUT", f"{blobs_of(owner)}/{_sha(b'x')}", key, content=b"x")
    entry = {"digest": _sha(b"x"), "size": 1}
    server.ok("POST", f"/runs/{owner}/p/r/artifacts", key, json=commit_body({"a.txt": entry}))
    for path in ("/ds/latest", "/ds/latest/manifest", "/ds/latest/files/a.txt", "/ds/versions"):
        assert server.request("GET", f"/artifacts/{owner}/p{path}", stranger).status_code == 404
    assert (
        server.request("PUT", f"{blobs_of(owner)}/{_sha(b'y')}", stranger, content=b"y").status_code
        == 403
    )
    assert server.request("GET", f"/artifacts/{owner}/p/ds/latest/files/a.txt", key).content == b"x"


def test_a_store_that_refuses_writes_answers_503_and_keeps_nothing(server: Server) -> None:
    name, key = server.new_user()
    blocked = server.data_dir / "artifacts"
    aside = server.data_dir / "artifacts-aside"
    if blocked.exists():
        blocked.rename(aside)
    blocked.write_text("not a folder")  # the store cannot create its folders any more
    try:
        answer = server.request("PUT", f"{blobs_of(name)}/{_sha(b'z')}", key, content=b"z")
        assert answer.status_code == 503 and "refused the upload" in answer.text
        assert server.ok("POST", f"{blobs_of(name)}/missing", key, json={"sha256": [_sha(b"z")]})[
            "missing"
        ] == [_sha(b"z")]
    finally:
        blocked.unlink()
        if aside.exists():
            aside.rename(blocked)
    assert server.ok("PUT", f"{blobs_of(name)}/{_sha(b'z')}", key, content=b"z")["size"] == 1


def test_deleting_runs_keeps_the_versions_they_logged(server: Server) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"{blobs_of(name)}/{_sha(b'k')}", key, content=b"k")
    entry = {"digest": _sha(b"k"), "size": 1}
    server.ok("POST", f"/runs/{name}/p/maker/artifacts", key, json=commit_body({"k": entry}))
    used = {"entity": name, "project": "p", "name": "ds", "version": "v0"}
    server.ok("POST", f"/runs/{name}/p/reader/artifacts/used", key, json=used)
    server.ok("DELETE", f"/runs/{name}/p/maker", key)
    server.ok("DELETE", f"/runs/{name}/p/reader", key)
    version = server.ok("GET", f"/artifacts/{name}/p/ds/v0", key)
    assert version["logged_by"] is None
    assert server.ok("GET", f"/artifacts/{name}/p/ds/v0/runs", key) == {
        "logged_by": None,
        "used_by": [],
    }
