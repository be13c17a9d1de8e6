"""What every media type shares: the reference written in the history row and the files behind it.

A media value is turned into a reference on the caller's thread (``prepare``): checked, copied and
named by content (``media/<sha256>.<ext>``, see docs/media-format.md). The file itself is a
:class:`FileJob`: bytes ready to write, or a function that encodes them later, off that thread.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any, ClassVar

Reference = dict[str, Any]
MEDIA_DIR = "media"


@dataclasses.dataclass(frozen=True)
class FileJob:
    """One file of the run's ``files/media/``: its name, and its bytes or how to encode them."""

    name: str
    data: bytes | None = None
    encode: Callable[[], bytes] | None = None

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.encode is not None
        return self.encode()


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A media value ready to log: its reference and the files it needs."""

    reference: Reference
    files: tuple[FileJob, ...] = ()


def stored(data: bytes, ext: str, _type: str) -> tuple[Reference, FileJob]:
    """The reference and job of a file stored as given (named by the SHA-256 of its bytes)."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"{MEDIA_DIR}/{digest}.{ext}"
    reference = {"_type": _type, "path": name, "sha256": digest, "size": len(data), "format": ext}
    return reference, FileJob(name, data=data)


def encoded(
    header: str, raw: bytes | memoryview, ext: str, _type: str, encode: Callable[[], bytes]
) -> tuple[Reference, FileJob]:
    """The reference and job of a file encoded later (named by the SHA-256 of its source)."""
    hasher = hashlib.sha256(header.encode())
    hasher.update(b"\0")
    hasher.update(raw)
    digest = hasher.hexdigest()
    name = f"{MEDIA_DIR}/{digest}.{ext}"
    reference = {"_type": _type, "path": name, "sha256": digest, "digest": "source", "format": ext}
    return reference, FileJob(name, encode=encode)


class Media:
    """Base of the loggable media types (``Image``, ``Table``, ``Audio``, ...)."""

    _type: ClassVar[str] = ""
    _cached: Prepared | None = None

    def prepare(self, key: str) -> Prepared:
        """Check, copy and name this value for ``log()`` under ``key``; cached once it worked."""
        if self._cached is None:
            self._cached = self._prepare(key)
        return self._cached

    def _prepare(self, key: str) -> Prepared:
        raise NotImplementedError

    def to_json(self, key: str = "value") -> Reference:
        """The reference this value is logged as (wandb's ``to_json``)."""
        return dict(self.prepare(key).reference)


def with_optional(reference: Reference, **fields: Any) -> Reference:
    """``reference`` plus the fields that are set (None values are left out)."""
    reference.update({k: v for k, v in fields.items() if v is not None})
    return reference


def check_caption(caption: Any) -> str | None:
    if caption is None or isinstance(caption, str):
        return caption
    if isinstance(caption, int | float):
        return str(caption)
    raise TypeError(f"caption must be a string, not {type(caption).__name__} ({caption!r}).")
