"""Long sources for ``bench_importers.py``, written straight in each format (the tools' own
writers would take minutes for a million steps): a TensorBoard event file (tensorboard's
``Event`` messages in TFRecord framing, CRC-32C from the ``crc32c`` package) and a wandb
``.wandb`` transaction log (wandb's ``Record`` messages in 32 KiB leveldb-log blocks). One scalar
``loss`` per step, as ``add_scalar`` / ``run.log({"loss": x})`` would write it."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

START = 1_800_000_000.0


def tensorboard_events(folder: Path, steps: int) -> Path:
    from crc32c import crc32c
    from tensorboard.compat.proto import event_pb2

    def masked(crc: int) -> int:
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.out.tfevents.1800000000.bench.1.0"
    with open(path, "wb") as out:
        event = event_pb2.Event(wall_time=START, file_version="brain.Event:2")
        for step in range(-1, steps):
            if step >= 0:
                event = event_pb2.Event(wall_time=START + step * 0.001, step=step)
                event.summary.value.add(tag="loss", simple_value=1.0 / (step + 1))
            data = event.SerializeToString()
            length = struct.pack("<Q", len(data))
            out.write(length + struct.pack("<I", masked(crc32c(length))))
            out.write(data + struct.pack("<I", masked(crc32c(data))))
    return path


class LeveldbLog:
    """wandb's block format: 7-byte chunk headers, chunks never cross a 32 KiB block."""

    def __init__(self, path: Path) -> None:
        self.out = open(path, "wb")  # noqa: SIM115 (closed by close())
        self.out.write(struct.pack("<4sHB", b":W&B", 0xBEE1, 0))
        self.offset = 7

    def write(self, data: bytes) -> None:
        first = True
        while True:
            room = 32768 - self.offset % 32768
            if room < 7:
                self.out.write(b"\0" * room)
                self.offset += room
                continue
            part, data = data[: room - 7], data[room - 7 :]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            crc = zlib.crc32(part, zlib.crc32(bytes([kind])))
            self.out.write(struct.pack("<IHB", crc, len(part), kind) + part)
            self.offset += 7 + len(part)
            first = False
            if not data:
                return

    def close(self) -> None:
        self.out.close()


def wandb_run(folder: Path, steps: int) -> Path:
    from wandb.proto import wandb_internal_pb2

    pb: Any = wandb_internal_pb2

    run_dir = folder / "offline-run-20270115_080000-benchrun"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = LeveldbLog(run_dir / "run-benchrun.wandb")
    record = pb.Record()
    record.run.run_id, record.run.project, record.run.display_name = "benchrun", "bench", "b"
    record.run.start_time.seconds = int(START)
    log.write(record.SerializeToString())
    for step in range(steps):
        record = pb.Record()
        items = record.history.item
        items.add(nested_key=["_step"], value_json=str(step))
        items.add(nested_key=["_runtime"], value_json=repr(step * 0.001))
        items.add(nested_key=["_timestamp"], value_json=repr(START + step * 0.001))
        items.add(nested_key=["loss"], value_json=repr(1.0 / (step + 1)))
        log.write(record.SerializeToString())
    record = pb.Record()
    record.exit.exit_code, record.exit.runtime = 0, steps // 1000
    log.write(record.SerializeToString())
    log.close()
    return run_dir
