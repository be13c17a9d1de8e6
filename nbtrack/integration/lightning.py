"""``NbtrackLogger``: a Lightning logger that writes to an nbtrack run.

``Trainer(logger=NbtrackLogger(project="mnist", log_model=True))``: the hyperparameters
(``save_hyperparameters()`` and ``log_hyperparams``) go to the run's config, ``self.log(...)``
metrics to its history with ``trainer/global_step`` as their step metric (``define_metric``), and
with ``log_model=True`` the checkpoints of ``ModelCheckpoint`` are logged as ``model`` artifacts
when training ends (``"all"``: as each is saved), aliased ``latest`` and ``best``. Each logger
makes its own run with ``reinit="create_new"``, so several trainers in one notebook each get a
run; the logger finishes it when training ends (``finalize``). Under DDP only rank 0 has a run
and logs (Lightning's ``rank_zero_only``). Imports ``lightning`` (else ``pytorch_lightning``).
"""

from __future__ import annotations

import os
from argparse import Namespace
from typing import Any

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

import nbtrack
from nbtrack._run import Run

STEP = "trainer/global_step"


class NbtrackLogger(Logger):
    """Lightning's logger interface over one nbtrack run (see the module docstring)."""

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        log_model: bool | str = False,
        prefix: str = "",
        checkpoint_name: str | None = None,
        **init_kwargs: Any,
    ) -> None:
        super().__init__()
        if log_model not in (False, True, "all"):
            raise ValueError(f"log_model must be False, True or 'all', not {log_model!r}.")
        self._init = {"project": project, "name": name, **init_kwargs}
        self._log_model = log_model
        self._prefix = prefix
        self._checkpoint_name = checkpoint_name
        self._run: Run | None = None
        self._checkpoints: list[Any] = []  # ModelCheckpoint callbacks seen
        self._logged: dict[str, float] = {}  # checkpoint path -> mtime logged

    # -- Lightning's interface ---------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self._run.project if self._run is not None else self._init.get("project")

    @property
    def version(self) -> str | None:
        return self._run.id if self._run is not None else None

    @property
    def save_dir(self) -> str | None:
        return self._run.dir if self._run is not None else None

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The nbtrack run (made on first use, on rank 0 only); after training, the finished
        run, until the logger logs again (a new ``fit``), which starts a new one."""
        return self._run if self._run is not None else self._live()

    def _live(self) -> Run:
        """The run to log into: a new one when there is none yet or the last one finished."""
        if self._run is None or self._run.finished:
            init = {k: v for k, v in self._init.items() if v is not None}
            init.setdefault("reinit", "create_new")
            self._run = nbtrack.init(**init)
            self._run.define_metric(STEP, hidden=True)
            self._run.define_metric("*", step_metric=STEP)
        return self._run

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kw: Any) -> None:
        found = vars(params) if isinstance(params, Namespace) else dict(params or {})
        self._live().config.update(_plain(found), allow_val_change=True)

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        data = {f"{self._prefix}{k}": _number(v) for k, v in metrics.items()}
        if step is not None:
            data[STEP] = step
        self._live().log(data)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        if checkpoint_callback not in self._checkpoints:
            self._checkpoints.append(checkpoint_callback)
        if self._log_model == "all":
            self._log_checkpoints(checkpoint_callback)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._run is None or self._run.finished:
            return
        if self._log_model is True and status == "success":
            for callback in self._checkpoints:
                self._log_checkpoints(callback)
        self._run.finish(exit_code=0 if status == "success" else 1)

    # -- checkpoints as model artifacts ------------------------------------------------------------
    def _log_checkpoints(self, callback: Any) -> None:
        best = getattr(callback, "best_model_path", "") or ""
        paths = [best, *getattr(callback, "best_k_models", {})]
        paths.append(getattr(callback, "last_model_path", ""))
        for path in dict.fromkeys(str(p) for p in paths if p):
            if not os.path.isfile(path) or self._logged.get(path) == os.path.getmtime(path):
                continue
            self._logged[path] = os.path.getmtime(path)
            self._log_checkpoint(callback, path, path == best)

    def _log_checkpoint(self, callback: Any, path: str, best: bool) -> None:
        run = self._live()
        score = getattr(callback, "best_k_models", {}).get(path)
        metadata = {"path": os.path.basename(path), "monitor": getattr(callback, "monitor", None)}
        if score is not None:
            metadata["score"] = _number(score)
        name = self._checkpoint_name or f"model-{run.id}"
        artifact = nbtrack.Artifact(name, type="model", metadata=metadata)
        artifact.add_file(path)
        run.log_artifact(artifact, aliases=["best"] if best else [])


def _number(value: Any) -> Any:
    """Tensors (one element) as Python numbers."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Hyperparameters the config can hold: anything else as its ``repr``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out[str(key)] = _plain(value)
        elif isinstance(value, Namespace):
            out[str(key)] = _plain(vars(value))
        elif value is None or isinstance(value, bool | int | float | str | list | tuple):
            out[str(key)] = value
        else:
            out[str(key)] = repr(value)
    return out
