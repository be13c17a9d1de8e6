"""Artifact pages: the run page lists what a run logged and used; the artifact page shows
versions, aliases, files, metadata and the producing and consuming runs; strict CSP, escaping,
and private projects hidden from strangers."""

from __future__ import annotations

import hashlib

from tests.server.support import Server
from tests.server.test_artifacts import commit_body
from tests.server.test_headers import assert_strict
from tests.server.test_webui import log_in


def _logged(server: Server, owner: str, key: str, project: str) -> None:
    data = b"<b>bold</b>"
    sha = hashlib.sha256(data).hexdigest()
    server.ok("PUT", f"/artifacts/{owner}/{project}/blobs/{sha}", key, content=data)
    body = commit_body(
        {"data/<x>.txt": {"digest": sha, "size": len(data)}},
        metadata={"rows": "<script>alert(1)</script>"},
        aliases=["best"],
    )
    server.ok("POST", f"/runs/{owner}/{project}/maker/artifacts", key, json=body)
    used = {"entity": owner, "project": project, "name": "ds", "version": "v0"}
    server.ok("POST", f"/runs/{owner}/{project}/reader/artifacts/used", key, json=used)


def test_run_and_artifact_pages_show_lineage(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    project = f"p{uid}"
    _logged(server, owner, key, project)
    with server.new_client() as client:
        log_in(client, key)
        maker = client.get(f"/{owner}/{project}/runs/maker")
        assert 'id="artifacts"' in maker.text and "Logged" in maker.text
        assert f'href="/{owner}/{project}/artifacts/ds/v0"' in maker.text
        reader = client.get(f"/{owner}/{project}/runs/reader")
        assert "Used" in reader.text and "ds:v0" in reader.text
        page = client.get(f"/{owner}/{project}/artifacts/ds/best")
        assert page.status_code == 200
        assert_strict(page.headers["content-security-policy"])
        text = page.text
        assert "ds:v0" in text and ">best<" in text and ">latest<" in text
        assert f"{owner}/{project}/maker" in text and f"{owner}/{project}/reader" in text
        assert "data/&lt;x&gt;.txt" in text and "<script>alert" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert f'href="/{owner}/{project}/artifacts"' in client.get(f"/{owner}/{project}").text
        listing = client.get(f"/{owner}/{project}/artifacts")
        assert listing.status_code == 200 and "/artifacts/ds/latest" in listing.text


def test_private_artifact_pages_are_hidden_from_strangers(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    _, stranger = server.new_user()
    _logged(server, owner, key, f"q{uid}")
    with server.new_client() as client:
        log_in(client, stranger)
        assert client.get(f"/{owner}/q{uid}/artifacts/ds/v0").status_code == 404
        assert client.get(f"/{owner}/q{uid}/artifacts").status_code == 404
    assert server.request("GET", f"/artifacts/{owner}/q{uid}/ds/v0", stranger).status_code == 404
