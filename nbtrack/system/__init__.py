"""System metrics: a sampler thread per run records CPU, memory, disk, network and GPU use.

Each sample is a ``system`` record in the run log (its own stream, indexed by ``_runtime``, never
a history step): ``{"_runtime", "_timestamp", "system.cpu", ...}`` with the keys listed in
:mod:`nbtrack.system.probes` and :mod:`nbtrack.system.gpu`. ``init()`` starts the sampler unless
``Settings(x_disable_stats=True)`` / ``NBTRACK_DISABLE_STATS=1``; it samples every 10 s
(``NBTRACK_STATS_INTERVAL``). psutil (and NVML, when installed) are imported only by the thread,
so ``import nbtrack`` and ``log()`` do not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtrack._run import Run
    from nbtrack.system.sampler import Sampler

RECORD = "system"


def start(run: Run) -> Sampler | None:
    """Start the run's sampler thread, unless the settings turn system metrics off."""
    if run.settings.disable_stats:
        return None
    from nbtrack.system.sampler import Sampler

    sampler = Sampler(run, run.settings.stats_interval)
    sampler.start()
    return sampler
