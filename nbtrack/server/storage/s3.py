"""The S3 store (and S3-compatible ones: MinIO, Ceph, moto): objects under ``bucket/prefix``.

Endpoint, region and credentials come the standard way (boto3's configuration files and the
``AWS_*`` environment); ``endpoint_url`` names an S3-compatible store. Writes through the server
stream as multipart uploads of ``PART`` bytes (an object appears only when complete); clients may
also write and read directly through presigned URLs (:mod:`.direct`). Every failure of the store
becomes a :class:`StorageError` that names it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from nbtrack.server.storage.base import Storage, StorageError, Upload, check_key
from nbtrack.server.storage.direct import DirectStore, Part
from nbtrack.server.storage.s3client import client

PART = 8 * 1024 * 1024
EXPIRES = 3600
SINGLE_COPY = 5 * 1024**3
MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


class S3Upload(Upload):
    """Buffered up to one part; the first full part starts a multipart upload."""

    def __init__(self, store: S3Storage, key: str) -> None:
        self.store, self.key = store, key
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[Part] = []
        self.size = 0
        self.done = False

    def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        self.size += len(chunk)
        while len(self.buffer) >= PART:
            self._send(bytes(self.buffer[:PART]))
            del self.buffer[:PART]

    def _send(self, data: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.store.start_multipart(self.key)
        number = len(self.parts) + 1
        with self.store.guard(f"writing {self.key}"):
            answer = self.store.s3.upload_part(
                **self.store.where(self.key), UploadId=self.upload_id, PartNumber=number, Body=data
            )
        self.parts.append(Part(number, str(answer["ETag"]), len(data)))

    def commit(self) -> int:
        try:
            if self.upload_id is None:
                self.store.put_bytes(self.key, bytes(self.buffer))
            else:
                if self.buffer:
                    self._send(bytes(self.buffer))
                self.store.complete_multipart(self.key, self.upload_id, self.parts)
        except StorageError:
            self.abort()
            raise
        self.done = True
        return self.size

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        self.buffer = bytearray()
        if self.upload_id is not None:
            with contextlib.suppress(StorageError):
                self.store.abort_multipart(self.key, self.upload_id)


class S3Body:
    """An object being read; a connection lost mid-read is a StorageError naming the store."""

    def __init__(self, store: S3Storage, key: str, body: Any) -> None:
        self.store, self.key, self.body = store, key, body

    def read(self, size: int = -1) -> bytes:
        from botocore.exceptions import BotoCoreError
        from urllib3.exceptions import HTTPError

        try:
            return bytes(self.body.read(None if size < 0 else size))
        except (BotoCoreError, HTTPError, OSError) as exc:
            raise StorageError(
                f"The S3 store {self.store} failed reading {self.key} ({exc})."
            ) from None

    def close(self) -> None:
        self.body.close()

    def __enter__(self) -> S3Body:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class S3Storage(Storage, DirectStore):
    """Objects in ``bucket`` under ``prefix/``; one client shared by the process's threads."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url
        self.s3 = client(endpoint_url)

    def __str__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    def full(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def where(self, key: str) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": self.full(key)}

    @contextlib.contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Failures of the store as StorageError naming it and what was being done (a missing
        object or upload as FileNotFoundError)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(f"{what}: not found in {self}") from None
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
            raise StorageError(f"The S3 store {self} refused {what} ({reason}).") from None
        except BotoCoreError as exc:
            raise StorageError(f"The S3 store {self} failed {what} ({exc}).") from None

    def upload(self, key: str) -> Upload:
        check_key(key)
        return S3Upload(self, key)

    def put_bytes(self, key: str, data: bytes) -> None:
        with self.guard(f"writing {key}"):
            self.s3.put_object(**self.where(key), Body=data)

    def open(self, key: str) -> BinaryIO:
        with self.guard(f"reading {key}"):
            body = self.s3.get_object(**self.where(key))["Body"]
        return cast(BinaryIO, S3Body(self, key, body))

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        try:
            with self.guard(f"looking up {key}"):
                return int(self.s3.head_object(**self.where(key))["ContentLength"])
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        with self.guard(f"deleting {key}"):
            self.s3.delete_object(**self.where(key))

    def delete_prefix(self, prefix: str) -> None:
        with self.guard(f"deleting {prefix}/"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.full(prefix) + "/"
            )
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})

    def presign_get(self, key: str, filename: str | None = None) -> str | None:
        params: dict[str, Any] = self.where(key)
        if filename is not None:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self._presign("get_object", params)

    def presign_put(self, key: str, size: int) -> str | None:
        return self._presign("put_object", self.where(key))

    def _presign(self, method: str, params: dict[str, Any]) -> str:
        with self.guard(f"signing a URL for {params['Key']}"):
            return str(self.s3.generate_presigned_url(method, Params=params, ExpiresIn=EXPIRES))

    def find_multipart(self, key: str) -> str | None:
        with self.guard(f"listing uploads of {key}"):
            found = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=self.full(key))
        mine = [u for u in found.get("Uploads", []) if u["Key"] == self.full(key)]
        mine.sort(key=lambda u: u["Initiated"])
        return str(mine[-1]["UploadId"]) if mine else None

    def start_multipart(self, key: str) -> str:
        with self.guard(f"starting an upload of {key}"):
            return str(self.s3.create_multipart_upload(**self.where(key))["UploadId"])

    def parts(self, key: str, upload_id: str) -> list[Part]:
        with self.guard(f"listing the parts of {key}"):
            pages = self.s3.get_paginator("list_parts").paginate(
                **self.where(key), UploadId=upload_id
            )
            found = [p for page in pages for p in page.get("Parts", [])]
        return [Part(int(p["PartNumber"]), str(p["ETag"]), int(p["Size"])) for p in found]

    def presign_part(self, key: str, upload_id: str, number: int) -> str:
        params = {**self.where(key), "UploadId": upload_id, "PartNumber": number}
        return self._presign("upload_part", params)

    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> None:
        listed = [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
        with self.guard(f"completing the upload of {key}"):
            self.s3.complete_multipart_upload(
                **self.where(key), UploadId=upload_id, MultipartUpload={"Parts": listed}
            )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with self.guard(f"aborting the upload of {key}"):
            self.s3.abort_multipart_upload(**self.where(key), UploadId=upload_id)

    def copy(self, source: str, target: str) -> None:
        """One CopyObject request up to 5 GiB (S3's limit for it), else a multipart copy."""
        size = self.size(source) or 0
        with self.guard(f"copying {source} to {target}"):
            if size <= SINGLE_COPY:
                self.s3.copy_object(**self.where(target), CopySource=self.where(source))
            else:
                self.s3.copy(self.where(source), self.bucket, self.full(target))

    def check(self) -> None:
        """Fail at start when the bucket is missing or unreachable (a clear message)."""
        try:
            with self.guard("access to the bucket"):
                self.s3.head_bucket(Bucket=self.bucket)
        except FileNotFoundError:
            raise StorageError(
                f"The S3 store {self} has no bucket {self.bucket!r} (NoSuchBucket): create it, "
                "or fix --storage-url."
            ) from None


def _missing(exc: Any) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in MISSING
