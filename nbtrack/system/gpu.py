"""Per-GPU utilisation, memory, temperature and power through NVML (``nvidia-ml-py``, optional).

Keys per GPU ``i``: ``system.gpu.i.gpu`` (utilisation %), ``system.gpu.i.memory`` (memory
used %), ``system.gpu.i.memoryAllocatedMB``, ``system.gpu.i.temp`` (°C) and
``system.gpu.i.powerWatts``.
No NVML, or one that fails, yields a note ("no GPU metrics: ...") recorded once in the run's
metadata, never an error; a GPU whose reading fails later is left out of that sample.
"""

from __future__ import annotations

import contextlib
from typing import Any

MB = 1 << 20


def open_gpus() -> tuple[list[Any], str | None]:
    """NVML handles of the machine's GPUs, or none and the reason."""
    try:
        import pynvml
    except ImportError:
        return [], "no GPU metrics: nvidia-ml-py is not installed"
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    except Exception as exc:  # no driver, no device, a container without NVML
        return [], f"no GPU metrics: NVML failed ({exc})"
    return handles, None if handles else "no GPU metrics: NVML found no GPU"


def read(handles: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, handle in enumerate(handles):
        try:
            values.update(_one(index, handle))
        except Exception:  # a GPU that stops answering is left out of this sample
            continue
    return values


def _one(index: int, handle: Any) -> dict[str, Any]:
    import pynvml

    prefix = f"system.gpu.{index}."
    rates = pynvml.nvmlDeviceGetUtilizationRates(handle)
    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
    values = {
        prefix + "gpu": float(rates.gpu),
        prefix + "memory": 100.0 * memory.used / memory.total if memory.total else 0.0,
        prefix + "memoryAllocatedMB": memory.used / MB,
        prefix + "temp": float(
            pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU)
        ),
    }
    with contextlib.suppress(Exception):  # some boards do not report power
        values[prefix + "powerWatts"] = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
    return values
