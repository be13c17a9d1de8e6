"""History: what a run logs over its steps, stored and read back.

Modules: ``store`` (history rows and their per-metric step buckets), ``charts`` (chart queries),
``series`` and ``seriesquery`` (downsampled series, one run's and many runs' at once),
``sampling`` (``run.history(samples=...)``), ``systemmetrics`` (system metrics samples) and
``rewind`` (a run going back in its history).
"""
