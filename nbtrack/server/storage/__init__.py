"""Server storage: one interface (:class:`Storage`) for run files, media and artifacts.

``open_storage(url, data_dir, endpoint_url)`` picks the backend from a URL (a local directory,
or ``s3://bucket/prefix``); without one it is the local directory (the server's data directory),
today's behaviour. Stores that take presigned writes also implement :class:`DirectStore`.
"""

from __future__ import annotations

from nbtrack.server.storage.base import Storage, StorageError, Upload, check_key
from nbtrack.server.storage.direct import DirectStore, Part
from nbtrack.server.storage.factory import open_storage
from nbtrack.server.storage.local import LocalStorage

__all__ = [
    "DirectStore",
    "LocalStorage",
    "Part",
    "Storage",
    "StorageError",
    "Upload",
    "check_key",
    "open_storage",
]
