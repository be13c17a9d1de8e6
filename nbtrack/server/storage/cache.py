"""Local copies of stored objects for code that reads files (table pages), kept by key.

Only for immutable, content-addressed keys (``files/<run>/media/<sha256>.<ext>``): a copy once
made stays right. A local-directory store answers its own file; others are copied in chunks to
``<cache dir>/<key>`` through a temporary file, so a reader never sees half a copy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nbtrack.server.storage.base import Storage, check_key


def local_copy(storage: Storage, key: str, cache_dir: Path) -> Path:
    """A path holding the object; FileNotFoundError if the store has none."""
    local = storage.local_path(key)
    if local is not None:
        if not local.is_file():
            raise FileNotFoundError(key)
        return local
    target = cache_dir / check_key(key)
    if not target.is_file():
        _fetch(storage, key, target)
    return target


def _fetch(storage: Storage, key: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in storage.read(key):
                out.write(chunk)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
