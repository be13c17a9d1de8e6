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
    crc = _crc_function()
    with open(path, "rb") as stream:
        buffer, position = b"", 0
        while True:
            if len(buffer) - position < LENGTH.size + 4:
                buffer, position = buffer[position:] + stream.read(READ_SIZE), 0
                if len(buffer) == 0:
                    return
            if len(buffer) < LENGTH.size:
                problems.append(f"{path.name}: ends in a torn record")
                return
            length, length_crc = LENGTH.unpack_from(buffer, position)
            check = crc(buffer[position : position + 8])
            if (((check >> 15) | (check << 17)) + MASK_DELTA) & 0xFFFFFFFF != length_crc:
                problems.append(f"{path.name}: damaged record length; the rest is unreadable")
                return
            end = position + LENGTH.size + length + 4
            while end > len(buffer):
                more = stream.read(max(READ_SIZE, end - len(buffer)))
                if not more:
                    problems.append(f"{path.name}: ends in a torn record")
                    return
                buffer, end, position = buffer[position:] + more, end - position, 0
            data = buffer[position + LENGTH.size : end - 4]
            (data_crc,) = struct.unpack_from("<I", buffer, end - 4)
            position = end
            check = crc(data)
            if (((check >> 15) | (check << 17)) + MASK_DELTA) & 0xFFFFFFFF != data_crc:  # masked()
                problems.append(f"{path.name}: a damaged record was skipped")
                continue
            yield data
