"""Stores a client can write to directly (S3 and compatibles): presigned single and multipart PUTs.

The server hands out URLs; the client sends bytes straight to the store; the server then checks
the result (size and SHA-256, streamed) and records it. A multipart upload is found again by its
key, so a restarted client asks which parts exist and sends only the others.
"""

from __future__ import annotations

import abc
import dataclasses


@dataclasses.dataclass(frozen=True)
class Part:
    """One uploaded part of a multipart upload."""

    number: int
    etag: str
    size: int


class DirectStore(abc.ABC):
    """The multipart hooks of a store that accepts presigned writes."""

    @abc.abstractmethod
    def find_multipart(self, key: str) -> str | None:
        """The id of an unfinished multipart upload to ``key`` (the newest), or None."""

    @abc.abstractmethod
    def start_multipart(self, key: str) -> str:
        """A new multipart upload to ``key``; answers its id."""

    @abc.abstractmethod
    def parts(self, key: str, upload_id: str) -> list[Part]:
        """The parts the store holds for this upload, by number."""

    @abc.abstractmethod
    def presign_part(self, key: str, upload_id: str, number: int) -> str:
        """A URL the client PUTs part ``number`` to."""

    @abc.abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> None:
        """Join the parts into the object under ``key``."""

    @abc.abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None: ...

    @abc.abstractmethod
    def copy(self, source: str, target: str) -> None:
        """Copy an object inside the store (no bytes through this process)."""
