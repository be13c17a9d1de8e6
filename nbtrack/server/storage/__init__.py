"""Server storage: one interface (:class:`Storage`) for run files, media and artifacts.

``open_storage(url, data_dir)`` picks the backend from a URL; without one it is the local
directory (the server's data directory), today's behaviour.
"""

from __future__ import annotations

from pathlib import Path

from nbtrack.server.storage.base import Storage, StorageError, Upload, check_key
from nbtrack.server.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "StorageError", "Upload", "check_key", "open_storage"]


def open_storage(url: str | None, data_dir: Path) -> Storage:
    """The store a URL names: none or a path for a local directory (more schemes to come)."""
    if not url:
        return LocalStorage(data_dir)
    if url.startswith("file://"):
        return LocalStorage(Path(url.removeprefix("file://")))
    if "://" not in url:
        return LocalStorage(Path(url))
    raise ValueError(f"Storage URL {url!r} is not supported; use a local directory.")
