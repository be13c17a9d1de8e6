"""``nbtrack import wandb PATH...``: wandb run folders (``wandb/run-*``, ``wandb/offline-run-*``)
read from their ``.wandb`` transaction logs, online or offline, finished or crashed.

What maps where: config (without wandb's ``_wandb``), every history row with its ``_step``,
``_runtime`` and ``_timestamp``, the summary (values set explicitly, beside the last values the
history gives), system metrics (wandb's ``stats`` records become nbtrack ``system`` samples, each
key prefixed ``system.``), tags, notes, group, job type, name, id, project, entity, start time,
exit state (a log without an exit record imports as ``crashed``), the environment and git state
into metadata, the run's ``files/`` (``diff.patch``, ``requirements.txt``, media, ...), and
images and histograms in history as nbtrack media references. Other media types are left out of
the history and reported.

The records are wandb's protobuf messages, so this needs the ``wandb`` package
(``pip install 'nbtrack[import-wandb]'``): its record definitions are read from its files
(:mod:`nbtrack.importers.wandb.proto`), without importing wandb itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbtrack.importers.report import ImportReport

__all__ = ["from_wandb"]


def from_wandb(paths: Iterable[str | Path], **options: Any) -> ImportReport:
    """Import wandb run folders (or folders holding them, such as ``./wandb``)."""
    # imported here: the helper process that reads half a log (half.py) runs this file first
    from nbtrack.importers.driver import Options, run_all
    from nbtrack.importers.wandb import proto
    from nbtrack.importers.wandb.folders import find_logs, source

    pb = proto.records()
    report_problems: list[str] = []
    sources = [source(pb, log) for log in find_logs(paths, report_problems)]
    report = run_all("wandb", sources, Options(**options))
    report.problems += report_problems
    return report
