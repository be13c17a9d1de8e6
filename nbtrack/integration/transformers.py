"""``NbtrackCallback``: a transformers ``TrainerCallback`` that writes to an nbtrack run.

``Trainer(..., report_to="none", callbacks=[NbtrackCallback(project="glue")])``: as training
begins, the ``TrainingArguments`` and the model's config (integer keys such as ``id2label``'s
stored as strings) go to the run's config; each log of the Trainer goes to the history, train
metrics as ``train/<name>`` and evaluation metrics as ``eval/<name>``, with ``train/global_step``
as their step metric. ``log_model=True`` (or ``"end"``) logs the final model
(``save_pretrained``) as a ``model`` artifact when training ends; ``"checkpoint"`` logs each
checkpoint folder as the Trainer saves it. The callback uses the current run when there is one
(and leaves it open); else it starts one with ``init_kwargs`` and keeps it open after training
(so ``trainer.evaluate()`` still logs): finish it with ``nbtrack.finish()``. Only the main process
logs (``state.is_world_process_zero``).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from transformers import TrainerCallback

import nbtrack
from nbtrack._run import Run

STEP = "train/global_step"
LOG_MODEL = (False, True, "end", "checkpoint")


class NbtrackCallback(TrainerCallback):
    """Logs a Trainer's arguments, model config, metrics and (if asked) model to nbtrack."""

    def __init__(self, log_model: bool | str = False, **init_kwargs: Any) -> None:
        if log_model not in LOG_MODEL:
            raise ValueError(
                f"log_model must be False, True, 'end' or 'checkpoint', not {log_model!r}."
            )
        self.log_model = log_model
        self.init_kwargs = init_kwargs
        self.run: Run | None = None

    def on_train_begin(
        self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero:
            return
        run = self._ensure_run()
        config = _plain(args.to_dict())
        model_config = getattr(model, "config", None)
        if model_config is not None:
            config["model_config"] = _plain(model_config.to_dict())
        run.config.update(config, allow_val_change=True)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        data = {_key(k): v for k, v in logs.items() if isinstance(v, int | float)}
        data[STEP] = state.global_step
        self._ensure_run().log(data)

    def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if not state.is_world_process_zero or self.log_model != "checkpoint":
            return
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if os.path.isdir(folder):
            run = self._ensure_run()
            run.log_model(
                folder, name=f"checkpoint-{run.id}", aliases=[f"step-{state.global_step}"]
            )

    def on_train_end(
        self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero or self.log_model not in (True, "end"):
            return
        if model is None or not hasattr(model, "save_pretrained"):
            return
        run = self._ensure_run()
        with tempfile.TemporaryDirectory(prefix="nbtrack-model-") as folder:
            model.save_pretrained(folder)
            tokenizer = kw.get("processing_class") or kw.get("tokenizer")
            if tokenizer is not None and hasattr(tokenizer, "save_pretrained"):
                tokenizer.save_pretrained(folder)
            run.log_model(folder, name=f"model-{run.id}")

    def _ensure_run(self) -> Run:
        if self.run is None or self.run.finished:
            current = nbtrack.run
            self.run = current if current is not None and not current.finished else None
            if self.run is None:
                self.run = nbtrack.init(**self.init_kwargs)
            self.run.define_metric(STEP, hidden=True)
            self.run.define_metric("*", step_metric=STEP)
        return self.run


def _key(name: str) -> str:
    """The Trainer's names as panels: ``eval_loss`` -> ``eval/loss``, ``loss`` -> ``train/loss``."""
    if name.startswith("eval_"):
        return "eval/" + name.removeprefix("eval_")
    if name.startswith("test_"):
        return "test/" + name.removeprefix("test_")
    return "train/" + name


def _plain(values: dict[Any, Any]) -> dict[str, Any]:
    """Config values nbtrack can store; others (dtypes, enums, objects) as their ``str``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out[str(key)] = _plain(value)
        elif isinstance(value, list | tuple):
            out[str(key)] = [v if _scalar(v) else str(v) for v in value]
        else:
            out[str(key)] = value if _scalar(value) else str(value)
    return out


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)
