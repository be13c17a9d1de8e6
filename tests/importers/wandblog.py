"""A short ``.wandb`` transaction log written record by record, for logs that wandb itself
would not write (bad values): the 7-byte file header, then each record as one chunk of the
first 32 KiB block, headed by the CRC-32 of its type byte and data, its length and its type."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLOCK = 32768
FULL = 1  # a chunk holding a whole record


def write_log(path: Path, records: list[bytes]) -> None:
    out = bytearray(struct.pack("<4sHB", b":W&B", 0xBEE1, 0))
    for record in records:
        crc = zlib.crc32(record, zlib.crc32(bytes([FULL])))
        out += struct.pack("<IHB", crc, len(record), FULL) + record
    assert len(out) <= BLOCK, "a short log: its records fit in one block"
    path.write_bytes(bytes(out))
