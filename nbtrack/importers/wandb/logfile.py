"""Reading wandb's ``.wandb`` transaction log, record by record, without wandb's servers.

The file: a 7-byte header (``:W&B``, the magic ``0xBEE1`` little-endian, a version byte), then
records in 32 KiB blocks, leveldb-log style: each chunk has a 7-byte header (CRC-32 of the type
byte and data, length as uint16, type: 1 full, 2 first, 3 middle, 4 last) and never crosses a
block; a block's tail shorter than a header is padding. Each assembled record is one protobuf
``Record`` (decoded by :mod:`nbtrack.importers.wandb.run` with wandb's own definitions).

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
        self.parts: list[bytes] | None = None  # the chunks so far of a record split over blocks
        self.orphan = False  # reading from a block after the first: the end of a record begun
        # before it is not ours (its start is someone else's), until a record starts

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
        for records in self.batches():
            yield from records

    def batches(self, first: int = 0, stop: int | None = None) -> Iterator[list[bytes]]:
        """The records a few at a time (those that end in each block), in order: those that
        start in block ``first`` or later, up to block ``stop`` (a record begun before it is
        read to its end)."""
        with open(self.path, "rb") as stream:
            if not self.check_header(stream.read(HEADER.size)):
                return
            yield from self._records(stream, first, stop)
        self._join(FIRST, b"")  # a record still waiting for its end is lost
        self.parts = None

    def _records(self, stream: BinaryIO, first: int, stop: int | None) -> Iterator[list[bytes]]:
        """The records ending in each block, their chunks checked and joined; blocks read a few
        at a time (flat memory). The common case (a whole record in one chunk, none split
        before it) is handled inline: this loop runs once per history row."""
        position, self.orphan = max(HEADER.size, first * BLOCK), first > 0
        unpack, crc32, full_seed, head = CHUNK.unpack_from, zlib.crc32, SEEDS[FULL], CHUNK.size
        for base, block in _blocks(stream, first * BLOCK):
            if stop is not None and base >= stop * BLOCK:
                if (record := self._end_of_record(block, base)) is not None:
                    yield [record]
                return
            offset, last = position - base, len(block) - head
            done: list[bytes] = []
            add = done.append
            while offset <= last:
                crc, length, kind = unpack(block, offset)
                end = offset + head + length
                data = block[offset + head : end]
                if kind == FULL and crc32(data, full_seed) == crc and self.parts is None:
                    add(data)
                elif not self._chunk(kind, length, crc, data, base + offset, block):
                    break
                elif (joined := self._join(kind, data)) is not None:
                    add(joined)
                offset = end
            position = base + BLOCK
            if done:
                yield done

    def _chunk(self, kind: int, length: int, crc: int, data: bytes, at: int, block: bytes) -> bool:
        """False where the block's records end: zero padding, or damage (reported)."""
        if kind == 0 and length == 0 and crc == 0:
            return False  # zero padding: the rest of the block is unused
        past = len(data) < length  # the chunk runs past the block's end
        if kind not in SEEDS or past or zlib.crc32(data, SEEDS[kind]) != crc:
            self._damaged(at, past and len(block) < BLOCK)
            return False
        return True

    def _end_of_record(self, block: bytes, base: int) -> bytes | None:
        """The rest of a record begun before ``block`` (the first block not to read)."""
        offset = 0
        while self.parts is not None and offset + CHUNK.size <= len(block):
            crc, length, kind = CHUNK.unpack_from(block, offset)
            data = block[offset + CHUNK.size : offset + CHUNK.size + length]
            if kind not in (MIDDLE, LAST):  # not the record's end: lost
                self.problems.append(f"{self.path.name}: a record cut short was dropped")
                self.parts = None
                return None
            if not self._chunk(kind, length, crc, data, base + offset, block):
                return None
            offset += CHUNK.size + length
            if (joined := self._join(kind, data)) is not None:
                return joined
        return None

    def _damaged(self, at: int, torn: bool) -> None:
        self.orphan = False
        if torn:
            self.problems.append(f"{self.path.name}: ends in a torn record at byte {at}")
        else:
            lost = f"{self.path.name}: damaged data at byte {at}, skipped to the next block"
            self.problems.append(lost)

    def _join(self, kind: int, data: bytes) -> bytes | None:
        """A record split over blocks: its first, middle and last chunks."""
        if kind in (FULL, FIRST):
            self.orphan = False
            if self.parts is not None:
                self.problems.append(f"{self.path.name}: a record cut short was dropped")
                self.parts = None
        if kind == FULL:
            return data
        if kind == FIRST:
            self.parts = [data]
        elif self.parts is None:
            if not self.orphan:  # (an orphan is the end of a record that is not ours)
                self.problems.append(f"{self.path.name}: a record's middle without its start")
        elif kind == MIDDLE:
            self.parts.append(data)
        else:
            self.parts.append(data)
            joined, self.parts = b"".join(self.parts), None
            return joined
        return None


def _blocks(stream: BinaryIO, start: int) -> Iterator[tuple[int, bytes]]:
    """``(file offset, block bytes)`` from ``start`` (a block's); the last block may be short."""
    stream.seek(start)
    read = stream.read
    base = start
    while data := read(READ_SIZE):
        for start in range(0, len(data), BLOCK):
            yield base + start, data[start : start + BLOCK]
        base += len(data)
