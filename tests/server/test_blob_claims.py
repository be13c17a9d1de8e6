"""On an S3 store (moto), a blob another entity stored is not had for its SHA-256 and size: the
upload plan asks for the bytes and a completion without them is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.liveserver import FaultProxy
from tests.server.s3support import ThreadServer, bucket, moto_url, store_proxy, thread_server
from tests.server.test_artifacts import commit_body

__all__ = ["bucket", "moto_url", "store_proxy"]


@pytest.fixture
def server(tmp_path: Path, bucket: str, store_proxy: FaultProxy) -> Iterator[ThreadServer]:
    with thread_server(tmp_path / "data", f"s3://{bucket}/nbt", store_proxy.url) as live:
        yield live


def test_a_stored_blob_is_not_claimed_by_its_hash(server: ThreadServer) -> None:
    data = b"private weights"
    sha = hashlib.sha256(data).hexdigest()
    assert server.api("PUT", f"/artifacts/admin/secret/blobs/{sha}", data=data).ok
    made = server.api("POST", "/admin/users", json={"username": "thief"}).json()
    thief = {"Authorization": f"Bearer {made['api_key']}"}
    claim = {"sha256": sha, "size": len(data)}
    plan = server.api("POST", "/artifacts/thief/p/uploads", json=claim, headers=thief).json()
    assert plan["method"] == "put"
    done = server.api("POST", "/artifacts/thief/p/uploads/complete", json=claim, headers=thief)
    assert done.status_code == 400, done.text
    body = commit_body({"w.bin": {"digest": sha, "size": len(data)}})
    answer = server.api("POST", "/runs/thief/p/r/artifacts", json=body, headers=thief)
    assert answer.status_code == 400 and "were not uploaded" in answer.text
    own = server.api("POST", "/artifacts/admin/secret/uploads", json=claim).json()
    assert own == {"method": "done"}
