"""s3:// references against a real S3-compatible server (moto in server mode): one object,
a prefix of several, checksums from their ETags, and downloads from the bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack as wandb
from tests.server.s3support import bucket, moto_url, s3_client

__all__ = ["bucket", "moto_url"]  # fixtures


def test_s3_object_and_prefix_references(
    moto_url: str, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    client = s3_client(moto_url)
    client.put_object(Bucket=bucket, Key="models/a.bin", Body=b"alpha")
    client.put_object(Bucket=bucket, Key="data/x/1.txt", Body=b"one")
    client.put_object(Bucket=bucket, Key="data/x/2.txt", Body=b"two")
    art = wandb.Artifact("in-s3", "dataset")
    [one] = art.add_reference(f"s3://{bucket}/models/a.bin")
    assert one.path == "a.bin" and one.size == 5 and one.digest != one.ref
    found = art.add_reference(f"s3://{bucket}/data/x", name="x")
    assert sorted(e.path for e in found) == ["x/1.txt", "x/2.txt"]
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    root = Path(art.download(tmp_path / "got"))
    assert (root / "a.bin").read_bytes() == b"alpha"
    assert (root / "x" / "2.txt").read_bytes() == b"two"
    with pytest.raises(ValueError, match="no object or prefix"):
        wandb.Artifact("none", "dataset").add_reference(f"s3://{bucket}/nothing/here")
