"""Reference entries: files that stay where they are (``file://``, ``s3://``, ``http(s)://``).

Adding a reference records the URI and a checksum taken from its origin (``checksum=True``): the
file's SHA-256 for ``file://``, the ETag (and version) for ``s3://`` and ``http(s)://``; with
``checksum=False`` the URI itself stands for the content. Downloading fetches from the origin.
boto3 is imported only for ``s3://`` (``pip install 'nbtrack[s3]'`` or ``pip install boto3``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from nbtrack.artifacts.manifest import ManifestEntry, check_path, sha256_of
from nbtrack.errors import UsageError

SCHEMES = ("file", "s3", "http", "https")


def entries(uri: str, name: str | None, checksum: bool) -> list[ManifestEntry]:
    """The entries a reference adds (a folder or S3 prefix gives one per file)."""
    scheme = urlparse(uri).scheme
    if scheme == "file":
        return _file_entries(uri, name, checksum)
    if scheme == "s3":
        return _s3_entries(uri, name, checksum)
    if scheme in ("http", "https"):
        return [_http_entry(uri, name, checksum)]
    raise UsageError(
        f"Reference {uri!r} has an unsupported scheme; use file://, s3://, http:// or https://."
    )


def _file_entries(uri: str, name: str | None, checksum: bool) -> list[ManifestEntry]:
    path = Path(unquote(urlparse(uri).path))
    if path.is_dir():
        found = []
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            relative = file.relative_to(path).as_posix()
            inner = f"{name}/{relative}" if name else relative
            found.append(_file_entry(file, inner, checksum))
        return found
    if not path.is_file():
        raise UsageError(f"Reference {uri!r}: no file or folder at {path}; check the path.")
    return [_file_entry(path, name or path.name, checksum)]


def _file_entry(path: Path, name: str, checksum: bool) -> ManifestEntry:
    uri = path.resolve().as_uri()
    if checksum:
        digest, size = sha256_of(path)
        return ManifestEntry(check_path(name), digest, size, uri)
    return ManifestEntry(check_path(name), uri, path.stat().st_size, uri)


def _boto3_client() -> Any:
    try:
        import boto3  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise UsageError(
            "s3:// references need boto3: pip install 'nbtrack[s3]' (or pip install boto3)."
        ) from None
    return boto3.client("s3")


def _s3_entries(uri: str, name: str | None, checksum: bool) -> list[ManifestEntry]:
    parsed = urlparse(uri)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    client = _boto3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except Exception:
        head = None
    if head is not None:
        etag = str(head.get("ETag", "")).strip('"')
        digest = etag if checksum and etag else uri
        target = name or key.rsplit("/", 1)[-1]
        return [ManifestEntry(check_path(target), digest, int(head["ContentLength"]), uri)]
    return _s3_prefix(client, bucket, key, name, checksum)


def _s3_prefix(
    client: Any, bucket: str, prefix: str, name: str | None, checksum: bool
) -> list[ManifestEntry]:
    found = []
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix) :].lstrip("/")
            uri = f"s3://{bucket}/{item['Key']}"
            digest = str(item.get("ETag", "")).strip('"') if checksum else uri
            path = f"{name}/{relative}" if name else relative
            found.append(ManifestEntry(check_path(path), digest or uri, int(item["Size"]), uri))
    if not found:
        raise UsageError(f"Reference s3://{bucket}/{prefix}: no object or prefix there.")
    return found


def _http_entry(uri: str, name: str | None, checksum: bool) -> ManifestEntry:
    import requests

    target = name or (urlparse(uri).path.rstrip("/").rsplit("/", 1)[-1] or "index.html")
    if not checksum:
        return ManifestEntry(check_path(target), uri, None, uri)
    try:
        head = requests.head(uri, allow_redirects=True, timeout=30)
        head.raise_for_status()
    except requests.RequestException as exc:
        raise UsageError(f"Reference {uri!r} could not be checked ({exc}).") from None
    etag = head.headers.get("ETag", "").strip('"')
    size = head.headers.get("Content-Length")
    return ManifestEntry(check_path(target), etag or uri, int(size) if size else None, uri)


def fetch(entry: ManifestEntry, target: Path) -> None:
    """Download a reference entry's bytes to ``target`` (checked when its digest is a SHA-256)."""
    assert entry.ref is not None
    parsed = urlparse(entry.ref)
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.scheme == "file":
        shutil.copyfile(unquote(parsed.path), target)
        if len(entry.digest) == 64 and sha256_of(target)[0] != entry.digest:
            raise UsageError(f"Reference {entry.ref} changed since it was logged (checksum).")
    elif parsed.scheme == "s3":
        _boto3_client().download_file(parsed.netloc, parsed.path.lstrip("/"), str(target))
    else:
        _fetch_http(entry.ref, target)


def _fetch_http(uri: str, target: Path) -> None:
    import requests

    try:
        with requests.get(uri, stream=True, timeout=60) as response, open(target, "wb") as out:
            response.raise_for_status()
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
    except requests.RequestException as exc:
        raise UsageError(f"Reference {uri} could not be downloaded ({exc}).") from None
