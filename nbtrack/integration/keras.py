"""Keras 3 callbacks (any backend): ``NbtrackMetricsLogger`` and ``NbtrackModelCheckpoint``.

``model.fit(..., callbacks=[NbtrackMetricsLogger(), NbtrackModelCheckpoint("model.keras")])``.

- ``NbtrackMetricsLogger(log_freq="epoch")``: each epoch's logs (``loss``, ``val_loss``, metrics
  and the optimizer's learning rate) as ``epoch/<name>``, with ``epoch/epoch`` as their step
  metric; with ``log_freq="batch"`` (or an int N: every N batches) also the batch logs as
  ``batch/<name>`` against ``batch/batch_step``, counted over the whole fit.
- ``NbtrackModelCheckpoint(filepath, ...)``: Keras' ``ModelCheckpoint`` (same arguments), and each
  file it writes (``.keras`` or ``.weights.h5``) logged as a ``model`` artifact, ``aliases``
  ``latest`` and ``epoch-N``.

Both log to the current run, or start one with ``init_kwargs`` (left open: ``nbtrack.finish()``).
"""

from __future__ import annotations

import os
from typing import Any

import keras  # type: ignore[import-untyped]

import nbtrack
from nbtrack._run import Run


def current_run(init_kwargs: dict[str, Any]) -> Run:
    run: Run | None = nbtrack.run
    if run is None or run.finished:
        run = nbtrack.init(**init_kwargs)
    return run


class NbtrackMetricsLogger(keras.callbacks.Callback):  # type: ignore[misc]
    """Logs Keras' epoch (and batch) logs to nbtrack (see the module docstring)."""

    def __init__(
        self, log_freq: str | int = "epoch", initial_global_step: int = 0, **init_kwargs: Any
    ) -> None:
        super().__init__()
        if log_freq == "batch":
            log_freq = 1
        if log_freq != "epoch" and (
            isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1
        ):
            raise ValueError(
                f"log_freq must be 'epoch', 'batch' or a positive int, not {log_freq!r}."
            )
        self.log_freq = log_freq
        self.batch_step = initial_global_step
        self.init_kwargs = init_kwargs
        self.run: Run | None = None

    def on_train_begin(self, logs: Any = None) -> None:
        self.run = current_run(self.init_kwargs)
        self.run.define_metric("epoch/epoch", hidden=True)
        self.run.define_metric("epoch/*", step_metric="epoch/epoch")
        if self.log_freq != "epoch":
            self.run.define_metric("batch/batch_step", hidden=True)
            self.run.define_metric("batch/*", step_metric="batch/batch_step")

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        data = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        data["epoch/epoch"] = epoch
        rate = self._learning_rate()
        if rate is not None:
            data["epoch/learning_rate"] = rate
        self._run().log(data)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batch_step += 1
        if self.log_freq == "epoch" or self.batch_step % int(self.log_freq):
            return
        data = {f"batch/{k}": v for k, v in (logs or {}).items()}
        data["batch/batch_step"] = self.batch_step
        self._run().log(data)

    def _run(self) -> Run:
        if self.run is None or self.run.finished:
            self.run = current_run(self.init_kwargs)
        return self.run

    def _learning_rate(self) -> float | None:
        rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        rate = getattr(rate, "value", rate)  # a Keras variable: its backend tensor
        for method in ("item", "numpy"):  # torch, jax, numpy / tensorflow
            convert = getattr(rate, method, None)
            if callable(convert):
                try:
                    return float(convert())
                except (TypeError, ValueError):
                    return None
        return float(rate) if isinstance(rate, int | float) else None


class NbtrackModelCheckpoint(keras.callbacks.ModelCheckpoint):  # type: ignore[misc]
    """Keras' ``ModelCheckpoint`` that also logs each file it saves as a model artifact."""

    def __init__(self, filepath: str, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        init_kwargs = kwargs.pop("init_kwargs", None) or {}
        super().__init__(filepath, *args, **kwargs)
        self.artifact_name = name
        self.init_kwargs = init_kwargs
        self._seen: dict[str, float] = {}
        self._epoch = 0

    def on_train_begin(self, logs: Any = None) -> None:
        super().on_train_begin(logs)
        self._seen = self._files()  # files there before this fit are not this run's

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._epoch = epoch
        super().on_epoch_end(epoch, logs)
        self._log_new()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        super().on_train_batch_end(batch, logs)
        if self.save_freq != "epoch":
            self._log_new()

    def _files(self) -> dict[str, float]:
        folder = os.path.dirname(os.path.abspath(self.filepath))
        if not os.path.isdir(folder):
            return {}
        found = (os.path.join(folder, n) for n in os.listdir(folder))
        return {p: os.path.getmtime(p) for p in found if p.endswith((".keras", ".weights.h5"))}

    def _log_new(self) -> None:
        now = self._files()
        fresh = [p for p, mtime in now.items() if self._seen.get(p) != mtime]
        self._seen = now
        if not fresh:
            return
        run = current_run(self.init_kwargs)
        for path in sorted(fresh):
            name = self.artifact_name or f"model-{run.id}"
            run.log_model(path, name=name, aliases=[f"epoch-{self._epoch + 1}"])
