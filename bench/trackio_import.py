"""Run with trackio's own python (bench/venvs/trackio, with its ``tensorboard`` extra): one
``trackio.import_tf_events`` of a TensorBoard log folder into a fresh local project, timed (wall
and CPU) with the process's peak RSS and the rows it stored. Prints one JSON object.
Usage: trackio_import.py LOGDIR."""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    import trackio
    from trackio.sqlite_storage import SQLiteStorage

    wall, cpu = time.perf_counter(), time.process_time()
    trackio.import_tf_events(sys.argv[1], project="imported")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    runs = SQLiteStorage.get_runs("imported")
    rows = sum(len(SQLiteStorage.get_logs("imported", run)) for run in runs)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_kb": peak_kb, "rows": rows}))


if __name__ == "__main__":
    main()
