"""``nbtrack import tensorboard LOGDIR``: one nbtrack run per folder of event files under LOGDIR.

Scalars (``simple_value`` and the scalars plugin's tensors) become history rows, one per step,
with the event's wall time as ``_timestamp`` (``_runtime`` counts from the run's first event);
the hparams plugin's session values become the config; histograms (``histo`` and the histograms
plugin's tensors) and images (``image`` and the images plugin's tensors) become nbtrack media.
Events of several tags need not come in step order (a histogram logged after later scalars):
rows are kept back for up to 10,000 steps (``WINDOW``) and written in step order, so memory is
bounded whatever the length; a value later than that is dropped and counted in the report.
Other summaries (audio, text, graphs, ...) are left out and reported once per tag. The run is
named after its folder (relative to LOGDIR); the project is ``--project`` or LOGDIR's name.
Events are decoded with tensorboard's own protobuf definitions (the ``import-tensorboard`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.importers.driver import Options, run_all
from nbtrack.importers.report import ImportReport
from nbtrack.importers.tensorboard.folders import run_folders, source

__all__ = ["from_tensorboard"]


def event_module() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError as exc:
        raise UsageError(
            "Reading TensorBoard event files needs the tensorboard package: "
            f"pip install 'nbtrack[import-tensorboard]' ({exc})"
        ) from None
    return event_pb2


def from_tensorboard(logdir: Path, **options: Any) -> ImportReport:
    event_pb2 = event_module()
    if not logdir.is_dir():
        raise UsageError(
            f"LOGDIR {str(logdir)!r} is not a folder; pass the folder TensorBoard reads."
        )
    settings = Options(**options)
    project = settings.project or logdir.resolve().name
    sources = [source(event_pb2, logdir, folder, project) for folder in run_folders(logdir)]
    report = run_all("tensorboard", sources, settings)
    if not sources:
        report.problems.append(f"{logdir}: no event files (events.out.tfevents.*)")
    return report
