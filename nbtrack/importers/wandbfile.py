"""Reading wandb's ``.wandb`` transaction log, record by record, without wandb's servers.

The file: a 7-byte header (``:W&B``, the magic ``0xBEE1`` little-endian, a version byte), then
records in 32 KiB blocks, leveldb-log style: each chunk has a 7-byte header (CRC-32 of the type
byte and data, length as uint16, type: 1 full, 2 first, 3 middle, 4 last) and never crosses a
block; a block's tail shorter than a header is padding. Each assembled record is one protobuf
``Record`` (decoded by :mod:`nbtrack.importers.wandb` with wandb's own definitions).

A damaged chunk (bad checksum, impossible length or type) costs the rest of its block: reading
resumes at the next block and the loss is reported; a torn end (a crashed run) is reported too.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

HEADER = struct.Struct("<4sHB")
CHUNK = struct.Struct("<IHB")
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
SEEDS = {kind: zlib.crc32(bytes([kind])) for kind in (FULL, FIRST, MIDDLE, LAST)}
READ_SIZE = 64 * BLOCK


class LogReader:
    """``records()`` yields each complete record's bytes; ``problems`` lists what was lost."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def check_header(self, head: bytes) -> bool:
        if len(head) < HEADER.size:
            self.problems.append(f"{self.path.name}: too short to be a .wandb file")
            return False
        ident, magic, _version = HEADER.unpack_from(head)
        if ident != b":W&B" or magic != 0xBEE1:
            self.problems.append(f"{self.path.name}: not a .wandb file (header {head[:7]!r})")
            return False
        return True

    def records(self) -> Iterator[bytes]:
        with open(self.path, "rb") as stream:
            if not self.check_header(stream.read(HEADER.size)):
                return
            yield from self._assemble(self._chunks(stream))

    def _chunks(self, stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
        """``(type, data)`` of each sound chunk, blocks read a few at a time (flat memory)."""
        position = HEADER.size
        for base, block in _blocks(stream):
            offset = position - base
            while offset + CHUNK.size <= len(block):
                crc, length, kind = CHUNK.unpack_from(block, offset)
                start, end = offset + CHUNK.size, offset + CHUNK.size + length
                if kind == 0 and length == 0 and crc == 0:
                    break  # zero padding: the rest of the block is unused
                if not _sound(block, kind, start, end, crc):
                    self._damaged(base + offset, end > len(block) and len(block) < BLOCK)
                    break
                yield kind, block[start:end]
                offset = end
            position = base + BLOCK

    def _damaged(self, at: int, torn: bool) -> None:
        if torn:
            self.problems.append(f"{self.path.name}: ends in a torn record at byte {at}")
        else:
            lost = f"{self.path.name}: damaged data at byte {at}, skipped to the next block"
            self.problems.append(lost)

    def _assemble(self, chunks: Iterator[tuple[int, bytes]]) -> Iterator[bytes]:
        parts: list[bytes] | None = None
        for kind, data in chunks:
            if kind == FULL:
                self._drop(parts)
                parts = None
                yield data
            elif kind == FIRST:
                self._drop(parts)
                parts = [data]
            elif parts is None:
                self.problems.append(f"{self.path.name}: a record's middle without its start")
            elif kind == MIDDLE:
                parts.append(data)
            else:
                parts.append(data)
                yield b"".join(parts)
                parts = None
        self._drop(parts)

    def _drop(self, parts: list[bytes] | None) -> None:
        if parts is not None:
            self.problems.append(f"{self.path.name}: a record cut short was dropped")
        return None


def _sound(block: bytes, kind: int, start: int, end: int, crc: int) -> bool:
    if kind not in SEEDS or end > len(block):
        return False
    return zlib.crc32(block[start:end], SEEDS[kind]) == crc


def _blocks(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """``(file offset, block bytes)`` from the file's start; the last block may be short."""
    stream.seek(0)
    read = stream.read
    base = 0
    while data := read(READ_SIZE):
        for start in range(0, len(data), BLOCK):
            yield base + start, data[start : start + BLOCK]
        base += len(data)
