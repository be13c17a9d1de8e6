"""The S3 storage backend against a real S3-compatible server (moto in server mode)."""

from __future__ import annotations

import hashlib
import io
import os
import sys
from pathlib import Path

import pytest
import requests

from nbtrack.server.storage import StorageError, open_storage
from nbtrack.server.storage.cache import local_copy
from nbtrack.server.storage.s3 import PART, S3Storage
from tests.liveserver import FaultProxy
from tests.server.s3support import bucket, moto_url, s3_client, store_proxy

__all__ = ["bucket", "moto_url", "store_proxy"]


def test_streamed_upload_appears_only_when_committed(bucket: str, moto_url: str) -> None:
    store = S3Storage(bucket, "pre/fix", moto_url)
    data = os.urandom(2 * PART + 123)
    upload = store.upload("files/1/big.bin")
    for start in range(0, len(data), 1 << 20):
        upload.write(data[start : start + (1 << 20)])
    assert not store.exists("files/1/big.bin")  # parts sent, object not there yet
    assert upload.commit() == len(data)
    assert store.size("files/1/big.bin") == len(data)
    assert b"".join(store.read("files/1/big.bin")) == data
    keys = [o["Key"] for o in s3_client(moto_url).list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["pre/fix/files/1/big.bin"]


def test_aborted_upload_leaves_nothing(bucket: str, moto_url: str) -> None:
    store = S3Storage(bucket, "", moto_url)
    with store.upload("x.bin") as upload:
        upload.write(os.urandom(PART + 1))  # one part went up
    assert not store.exists("x.bin")
    assert s3_client(moto_url).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_small_put_read_delete_and_missing(bucket: str, moto_url: str) -> None:
    store = S3Storage(bucket, "p", moto_url)
    assert store.put("files/2/a.txt", io.BytesIO(b"hello")) == 5
    store.put("files/2/sub/b.txt", io.BytesIO(b"b"))
    store.put("files/22/c.txt", io.BytesIO(b"c"))
    assert store.size("nope") is None and not store.exists("nope")
    with pytest.raises(FileNotFoundError):
        store.open("nope")
    store.delete_prefix("files/2")
    assert not store.exists("files/2/a.txt") and not store.exists("files/2/sub/b.txt")
    assert store.exists("files/22/c.txt")  # a prefix is a folder, not a string prefix
    store.delete("files/22/c.txt")
    store.delete("files/22/c.txt")  # absent is not an error
    assert not store.exists("files/22/c.txt")


def test_presigned_put_and_get_need_no_credentials(bucket: str, moto_url: str) -> None:
    store = S3Storage(bucket, "p", moto_url)
    url = store.presign_put("k/f.bin", 3)
    assert url is not None and requests.put(url, data=b"abc", timeout=10).ok
    got = store.presign_get("k/f.bin", filename="f.bin")
    assert got is not None
    answer = requests.get(got, timeout=10)
    assert answer.content == b"abc"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="f.bin"'


def test_multipart_parts_are_listed_for_resume(bucket: str, moto_url: str) -> None:
    store = S3Storage(bucket, "", moto_url)
    upload_id = store.start_multipart("up/big")
    assert store.find_multipart("up/big") == upload_id
    assert store.find_multipart("up/bi") is None  # the key, not a prefix of it
    first = os.urandom(5 * 1024 * 1024)
    assert requests.put(store.presign_part("up/big", upload_id, 1), data=first, timeout=30).ok
    assert [(p.number, p.size) for p in store.parts("up/big", upload_id)] == [(1, len(first))]
    requests.put(store.presign_part("up/big", upload_id, 2), data=b"end", timeout=30)
    store.complete_multipart("up/big", upload_id, store.parts("up/big", upload_id))
    digest = hashlib.sha256(b"".join(store.read("up/big"))).hexdigest()
    assert digest == hashlib.sha256(first + b"end").hexdigest()
    store.copy("up/big", "final/big")
    assert store.size("final/big") == len(first) + 3


def test_missing_bucket_is_a_storage_error_naming_it(moto_url: str) -> None:
    store = S3Storage("no-such-bucket-here", "p", moto_url)
    with pytest.raises(StorageError, match=r"s3://no-such-bucket-here/p at http.*NoSuchBucket"):
        store.check()
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        store.put("a", io.BytesIO(b"x"))


def test_a_store_that_goes_away_is_a_storage_error(bucket: str, store_proxy: FaultProxy) -> None:
    store = S3Storage(bucket, "", store_proxy.url)
    store.put("kept", io.BytesIO(b"kept"))
    upload = store.upload("lost")
    upload.write(os.urandom(PART))  # the first part goes up
    store_proxy.set("drop")
    upload.write(b"more")
    with pytest.raises(StorageError, match=f"at {store_proxy.url}"):
        upload.commit()
    store_proxy.set("pass")
    assert not store.exists("lost")
    assert b"".join(store.read("kept")) == b"kept"


def test_factory_urls(tmp_path: Path, moto_url: str, bucket: str) -> None:
    store = open_storage(f"s3://{bucket}/a/b/", tmp_path, moto_url)
    assert isinstance(store, S3Storage) and (store.bucket, store.prefix) == (bucket, "a/b")
    for bad in ("s3:///prefix", "gs://bucket/x", f"s3://{bucket}/p?x=1"):
        with pytest.raises(ValueError, match="Storage URL"):
            open_storage(bad, tmp_path)


def test_one_store_per_bucket_prefix_and_endpoint(
    tmp_path: Path, moto_url: str, bucket: str
) -> None:
    store = open_storage(f"s3://{bucket}/one", tmp_path, moto_url)
    assert open_storage(f"s3://{bucket}/one/", tmp_path / "other", moto_url) is store
    assert open_storage(f"s3://{bucket}/two", tmp_path, moto_url) is not store
    store.put_bytes("files/1/a.txt", b"hello")  # the trimmed botocore data still signs requests
    assert b"".join(store.read("files/1/a.txt")) == b"hello"


def test_without_boto3_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'nbtrack\[s3\]'"):
        open_storage("s3://bucket/p", tmp_path)


def test_code_that_reads_files_gets_a_local_copy(
    bucket: str, moto_url: str, tmp_path: Path
) -> None:
    store = S3Storage(bucket, "p", moto_url)
    store.put("files/3/media/t.table.json", io.BytesIO(b'{"columns": []}'))
    copy = local_copy(store, "files/3/media/t.table.json", tmp_path / "cache")
    assert copy == tmp_path / "cache" / "files/3/media/t.table.json"
    assert copy.read_bytes() == b'{"columns": []}'
    assert [p.name for p in copy.parent.iterdir()] == ["t.table.json"]  # no temporary left
    with pytest.raises(FileNotFoundError):
        local_copy(store, "files/3/media/none.json", tmp_path / "cache")
