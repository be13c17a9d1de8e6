"""``open_storage``: the store a storage URL names (``--storage-url`` / ``NBTRACK_STORAGE_URL``).

- none: the server's data directory (run files under ``files/``, today's layout);
- a path or ``file://`` URL: that directory;
- ``s3://bucket/prefix``: an S3 bucket, or an S3-compatible store at ``endpoint_url``
  (boto3, from the ``s3`` extra, is imported only then).
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

from nbtrack.server.storage.base import Storage
from nbtrack.server.storage.local import LocalStorage


def open_storage(url: str | None, data_dir: Path, endpoint_url: str | None = None) -> Storage:
    """The store ``url`` names; a ValueError naming the URL and the fix if it names none."""
    if not url:
        return LocalStorage(data_dir)
    if url.startswith("file://"):
        return LocalStorage(Path(url.removeprefix("file://")))
    if url.startswith("s3://"):
        return _s3(url, endpoint_url)
    if "://" not in url:
        return LocalStorage(Path(url))
    raise ValueError(
        f"Storage URL {url!r} is not supported; use a local directory or s3://bucket/prefix."
    )


def _s3(url: str, endpoint_url: str | None) -> Storage:
    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"Storage URL {url!r} names no bucket; use s3://bucket/prefix.")
    return _s3_store(parts.netloc, parts.path.strip("/"), endpoint_url or None)


@functools.cache
def _s3_store(bucket: str, prefix: str, endpoint_url: str | None) -> Storage:
    """One S3 store per bucket, prefix and endpoint in a process: its boto3 client (thread-safe)
    holds ~15 MB of service model, so the store checked at start is the one requests use."""
    from nbtrack.server.storage.s3 import S3Storage

    return S3Storage(bucket, prefix, endpoint_url)
