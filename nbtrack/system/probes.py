"""What one sample reads, through psutil (and NVML for GPUs, see :mod:`nbtrack.system.gpu`).

Keys (wandb's names where it has them): ``system.cpu`` (system CPU %),
``system.proc.cpu.percent`` (this process, % of one core), ``system.proc.memory.rssMB``,
``system.memory`` (system memory used %), ``system.memory.availableMB``, ``system.disk.in`` and
``system.disk.out`` (MB read and written since the run started), ``system.disk.usagePercent`` and
``system.disk.usageGB`` (the disk that holds the run folder), ``system.network.sent`` and
``system.network.recv`` (bytes since the run started).
"""

from __future__ import annotations

from typing import Any

import psutil

from nbtrack.system import gpu

MB = 1 << 20


class Probes:
    """Counters kept between samples (CPU times, disk and network baselines)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder or "."
        self.process = psutil.Process()
        self.process.cpu_percent(None)
        psutil.cpu_percent(None)
        self.disk0 = _disk_io()
        self.net0 = _net_io()
        self.gpus, self.gpu_note = gpu.open_gpus()

    def read(self) -> dict[str, Any]:
        values = {**self._cpu_memory(), **self._disk(), **self._network()}
        values.update(gpu.read(self.gpus))
        return values

    def _cpu_memory(self) -> dict[str, Any]:
        memory = psutil.virtual_memory()
        return {
            "system.cpu": psutil.cpu_percent(None),
            "system.proc.cpu.percent": self.process.cpu_percent(None),
            "system.proc.memory.rssMB": self.process.memory_info().rss / MB,
            "system.memory": memory.percent,
            "system.memory.availableMB": memory.available / MB,
        }

    def _disk(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        usage = psutil.disk_usage(self.folder)
        values["system.disk.usagePercent"] = usage.percent
        values["system.disk.usageGB"] = usage.used / (1 << 30)
        now = _disk_io()
        if now is not None and self.disk0 is not None:
            values["system.disk.in"] = (now[0] - self.disk0[0]) / MB
            values["system.disk.out"] = (now[1] - self.disk0[1]) / MB
        return values

    def _network(self) -> dict[str, Any]:
        now = _net_io()
        if now is None or self.net0 is None:
            return {}
        return {
            "system.network.sent": now[0] - self.net0[0],
            "system.network.recv": now[1] - self.net0[1],
        }


def _disk_io() -> tuple[int, int] | None:
    counters = psutil.disk_io_counters()
    return None if counters is None else (counters.read_bytes, counters.write_bytes)


def _net_io() -> tuple[int, int] | None:
    counters = psutil.net_io_counters()
    return None if counters is None else (counters.bytes_sent, counters.bytes_recv)
