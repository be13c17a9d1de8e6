"""Run with trackio's own python (bench/venvs/trackio): the data call of trackio's dashboard for
10 runs x N steps x 1 metric, ``SQLiteStorage.get_logs_batch(max_points=1000)``, after seeding its
local store with ``bulk_log``. Prints one JSON object. Usage: trackio_compare.py STEPS.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time

from trackio.sqlite_storage import SQLiteStorage


def main() -> None:
    steps = int(sys.argv[1])
    started = time.perf_counter()
    runs = []
    for i in range(10):
        values = [1 / (s + 1) + 0.01 * math.sin(s / 7 + i) for s in range(steps)]
        values[(i * 7919) % steps] = 50.0
        for start in range(0, steps, 20_000):
            chunk = range(start, min(steps, start + 20_000))
            SQLiteStorage.bulk_log(
                "compare", f"run-{i}", [{"loss": values[s]} for s in chunk], list(chunk)
            )
        runs.append({"run": f"run-{i}"})
    seeded = time.perf_counter() - started
    times, answer = [], []
    for _ in range(5):
        start = time.perf_counter()
        answer = SQLiteStorage.get_logs_batch("compare", runs, max_points=1000)
        times.append((time.perf_counter() - start) * 1000)
    spikes = sum(any(row.get("loss") == 50.0 for row in r["logs"]) for r in answer)
    points = statistics.median(len(r["logs"]) for r in answer)
    print(
        json.dumps(
            {
                "compare_10_runs_ms": statistics.median(times),
                "spikes_kept": spikes,
                "points": points,
                "seed_s": seeded,
            }
        )
    )


if __name__ == "__main__":
    main()
