"""The media measurements, run inside ``worker.py`` under the tracker's own python: the caller's
cost of logging an image, a table and a histogram, scalar ``log()`` beside them, and ``finish()``
(which waits for media still being encoded).

Standard library, numpy, ``worker.py`` and the tracker only (this runs in every virtualenv).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import worker

Result = dict[str, Any]


def _start(module: Any, tracker: str) -> Any:
    adapter = worker.ADAPTERS[tracker](module)
    adapter.setup()
    return adapter, adapter.init()


def _per_call(calls: list[Callable[[], None]]) -> list[float]:
    """Seconds of each call, timed one by one (the values were made before)."""
    times = []
    for call in calls:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return times


def media(module: Any, p: Result) -> Result:
    """``log({"image": Image(array)})`` for distinct 256x256 RGB arrays, a 10k x 10 Table, a
    Histogram of 10k values, and 10-float rows, in one run; then ``finish()``."""
    import numpy as np

    tracker = module.__name__
    adapter, run = _start(module, tracker)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (256, 256, 3), dtype=np.uint8) for _ in range(int(p["images"]))]
    rows = [[i + j * 0.5 for j in range(10)] for i in range(int(p["table_rows"]))]
    columns = [f"c{j}" for j in range(10)]
    samples = [rng.standard_normal(10_000) for _ in range(int(p["histograms"]))]
    log = module.log
    scalar = [worker.metrics_for(i) for i in range(int(p["scalars"]))]
    result: Result = {"tracker": tracker}
    result["scalar_s"] = _per_call([lambda m=m: log(m) for m in scalar])
    result["image_s"] = _per_call([lambda a=a: log({"image": module.Image(a)}) for a in arrays])
    result["table_s"] = _per_call(
        [lambda: log({"table": module.Table(columns=columns, data=rows)})] * int(p["tables"])
    )
    result["histogram_s"] = _per_call(
        [lambda s=s: log({"hist": module.Histogram(s)}) for s in samples]
    )
    result["scalar_after_s"] = _per_call([lambda m=m: log(m) for m in scalar])
    t0 = time.perf_counter()
    adapter.finish(run)
    result["finish_s"] = time.perf_counter() - t0
    adapter.close()
    result["median_ms"] = {
        key[:-2]: statistics.median(result[key]) * 1e3
        for key in ("scalar_s", "image_s", "table_s", "histogram_s", "scalar_after_s")
        if result[key]
    }
    return result


CHILDREN: dict[str, Callable[[Any, Result], Result]] = {"media": media}
