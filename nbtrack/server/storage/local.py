"""The local-directory store: each key is a file under the root (the server's data directory)."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO

from nbtrack.server.storage.base import Storage, StorageError, Upload, check_key


class LocalUpload(Upload):
    """Written to a temporary file beside the root, renamed into place at commit."""

    def __init__(self, root: Path, target: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
        self._out = os.fdopen(fd, "wb")
        self._target = target
        self._size = 0
        self._done = False

    def write(self, chunk: bytes) -> None:
        try:
            self._out.write(chunk)
        except OSError as exc:
            self.abort()
            raise StorageError(f"Could not write to {self._target.parent}: {exc}") from exc
        self._size += len(chunk)

    def commit(self) -> int:
        try:
            self._out.close()
            self._target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, self._target)
        except OSError as exc:
            self.abort()
            raise StorageError(f"Could not store {self._target}: {exc}") from exc
        self._done = True
        return self._size

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._out.close()
        Path(self._tmp).unlink(missing_ok=True)


class LocalStorage(Storage):
    """Files under ``root``; keys map to paths one to one."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def upload(self, key: str) -> Upload:
        return LocalUpload(self.root, self.path(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            try:
                temp.write_bytes(data)
            except FileNotFoundError:  # the folder is made only when missing
                target.parent.mkdir(parents=True, exist_ok=True)
                temp.write_bytes(data)
            os.replace(temp, target)
        except OSError as exc:
            raise StorageError(f"Could not store {target}: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        import shutil

        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)
