"""Reading TensorBoard event files: TFRecord framing, each record checked with its CRC-32C.

A record: length (uint64), masked CRC-32C of the length, the data, masked CRC-32C of the data.
The checksums use the ``crc32c`` package (in the ``import-tensorboard`` extra): tensorboard's own
reader computes them in pure Python, far too slow for a long history. A record whose data fails
its check is skipped and reported; a bad length or a torn end stops the file (the framing offers
no way to find the next record) and is reported.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LENGTH = struct.Struct("<QI")
MASK_DELTA = 0xA282EAD8
READ_SIZE = 1 << 20


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def _crc_function() -> Any:
    try:
        from crc32c import crc32c
    except ImportError as exc:
        from nbtrack.errors import UsageError

        raise UsageError(
            "Reading TensorBoard event files needs the crc32c and tensorboard packages: "
            f"pip install 'nbtrack[import-tensorboard]' ({exc})"
        ) from None
    return crc32c


def records(path: Path, problems: list[str]) -> Iterator[bytes]:
    """Each sound record's data, in order."""
    for found in batches(path, problems):
        yield from found


def batches(path: Path, problems: list[str]) -> Iterator[list[bytes]]:
    """The sound records' data, a read's worth at a time (flat memory)."""
    crc = _crc_function()
    lengths: dict[bytes, int] = {}  # length fields (with their checksum) already checked
    with open(path, "rb") as stream:
        buffer = b""
        while True:
            more = stream.read(READ_SIZE)
            buffer += more
            found, position = _split(buffer, crc, lengths, path.name, problems)
            if found:
                yield found
            if position < 0:
                return
            buffer = buffer[position:]
            if not more:
                if buffer:
                    problems.append(f"{path.name}: ends in a torn record")
                return


def _split(
    buffer: bytes, crc: Any, lengths: dict[bytes, int], name: str, problems: list[str]
) -> tuple[list[bytes], int]:
    """The whole records at the start of ``buffer`` and where the rest begins (-1: stop)."""
    found: list[bytes] = []
    add, size, position = found.append, len(buffer), 0
    unpack = struct.Struct("<I").unpack_from
    while position + LENGTH.size <= size:
        head = buffer[position : position + LENGTH.size]
        length = lengths.get(head)
        if length is None:
            length, length_crc = LENGTH.unpack(head)
            if masked(crc(head[:8])) != length_crc:
                problems.append(f"{name}: damaged record length; the rest is unreadable")
                return found, -1
            if len(lengths) < 4096:
                lengths[head] = length
        end = position + LENGTH.size + length
        if end + 4 > size:
            break
        data = buffer[position + LENGTH.size : end]
        check = crc(data)
        position = end + 4
        if (((check >> 15) | (check << 17)) + MASK_DELTA) & 0xFFFFFFFF == unpack(buffer, end)[0]:
            add(data)
        else:
            problems.append(f"{name}: a damaged record was skipped")
    return found, position
