"""Importers: runs from wandb, TensorBoard and MLflow become ordinary local nbtrack runs.

``from_wandb(paths)``, ``from_tensorboard(logdir)``, ``from_mlflow(tracking_uri)`` each return an
:class:`ImportReport`; options common to all: ``dir``, ``project``, ``new_ids``, ``dry_run``,
``online``, ``progress`` (see :class:`nbtrack.importers.driver.Options`). Each source library is
an optional extra, imported only when its importer runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.importers.report import ImportReport, RunImport

__all__ = ["ImportReport", "RunImport", "from_mlflow", "from_tensorboard", "from_wandb"]


def from_wandb(
    paths: str | Path | list[str | Path] | None = None,
    *,
    from_server: str | None = None,
    **options: Any,
) -> ImportReport:
    """Import wandb run folders (``wandb/run-*``, ``wandb/offline-run-*``, or ``./wandb``), or
    with ``from_server="ENTITY/PROJECT"`` that project's runs through the wandb public API."""
    if (paths is None) == (from_server is None):
        from nbtrack.errors import UsageError

        raise UsageError(
            "Pass wandb run folders (paths) or from_server='ENTITY/PROJECT', one of the two."
        )
    if from_server is not None:
        from nbtrack.importers.wandb.server import from_server as fetch

        return fetch(from_server, **options)
    from nbtrack.importers.wandb import from_wandb as read

    assert paths is not None
    return read([paths] if isinstance(paths, str | Path) else paths, **options)


def from_tensorboard(logdir: str | Path, **options: Any) -> ImportReport:
    """Import every run directory (a folder holding event files) under ``logdir``."""
    from nbtrack.importers.tensorboard import from_tensorboard as read

    return read(Path(logdir), **options)


def from_mlflow(
    tracking_uri: str, experiments: list[str] | None = None, **options: Any
) -> ImportReport:
    """Import the runs of an MLflow tracking store (all experiments, or those named)."""
    from nbtrack.importers.mlflow import from_mlflow as read

    return read(tracking_uri, experiments, **options)
