"""Which rows ``history(samples=N)`` keeps: N spread evenly, the first and the last included.

Row ``i`` of ``n`` is kept when ``i * (N - 1) // (n - 1)`` reaches a value the row before did
not; every row when ``n <= N``. The server picks with the same rule in SQL
(``nbtrack.server.history.sampling``), so local and server runs sample alike.
"""

from __future__ import annotations


def chosen(i: int, n: int, samples: int) -> bool:
    if n <= samples or i == 0:
        return True
    return (i * (samples - 1)) // (n - 1) > ((i - 1) * (samples - 1)) // (n - 1)
