"""Long sources for ``bench_importers.py``, written straight in each format (the tools' own
writers would take minutes for a million steps): a TensorBoard event file (tensorboard's
``Event`` messages in TFRecord framing, CRC-32C from the ``crc32c`` package) and a wandb
``.wandb`` transaction log (wandb's ``Record`` messages in 32 KiB leveldb-log blocks, shaped as
wandb-core writes them). One scalar ``loss`` per step, as ``add_scalar`` /
``run.log({"loss": x})`` would write it."""

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


def wandb_run(folder: Path, steps: int, core: bool = False) -> Path:
    """An offline run's log of ``run.log({"loss": x})``: history records only (items in one
    order), or with ``core`` as wandb-core 0.31 writes it: per step a summary record of the
    row, the history record (``num`` first, items in an order that varies from step to step, as
    Go's maps give them, and the step), and a summary record of the runtime."""
    from wandb.proto import wandb_internal_pb2

    pb: Any = wandb_internal_pb2

    run_dir = folder / "offline-run-20270115_080000-benchrun"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = LeveldbLog(run_dir / "run-benchrun.wandb")
    record = pb.Record()
    record.run.run_id, record.run.project, record.run.display_name = "benchrun", "bench", "b"
    record.run.start_time.seconds = int(START)
    log.write(record.SerializeToString())
    num = 1
    for step in range(steps):
        row = [
            ("_step", str(step)),
            ("_runtime", repr(step * 0.001)),
            ("_timestamp", repr(START + step * 0.001)),
            ("loss", repr(1.0 / (step + 1))),
        ]
        turn = step % len(row) if core else 0
        row = row[turn:] + row[:turn]
        for kind in ("summary", "history", "runtime") if core else ("history",):
            record = pb.Record(num=num) if core else pb.Record()
            num += 1
            if kind == "runtime":
                update = record.summary.update
                update.add(nested_key=["_wandb", "runtime"], value_json=str(step // 1000))
                update.add(key="_runtime", value_json=str(step // 1000))
            else:
                items = record.summary.update if kind == "summary" else record.history.item
                for key, text in row:
                    items.add(nested_key=[key], value_json=text)
            if kind == "history" and core:
                record.history.step.num = step
            log.write(record.SerializeToString())
    record = pb.Record()
    record.exit.exit_code, record.exit.runtime = 0, steps // 1000
    log.write(record.SerializeToString())
    log.close()
    return run_dir
