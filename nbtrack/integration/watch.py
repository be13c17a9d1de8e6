"""``nbtrack.watch(models, ...)``: histograms of a torch model's gradients and parameters.

A hook on each trainable parameter (``Tensor.register_hook``) counts the backward passes that
reach it; every ``log_freq``-th one logs that parameter's gradient and/or value as a histogram.
Hooking the parameters, not the model's ``forward``, keeps it working when training calls
submodules directly (a LightningModule's ``training_step``). The histograms join the run's
current step (``log(commit=False)``), under ``gradients/<name>`` and ``parameters/<name>``
(``<i>.<name>`` when several models are watched together). Between due passes a parameter costs
one counter increment per backward pass. ``unwatch()`` removes every hook. torch is never imported
here: the models bring it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack._run import Run

LOGS = {
    "gradients": (True, False),
    "parameters": (False, True),
    "all": (True, True),
    None: (False, False),
}
BINS = 64


@dataclasses.dataclass
class Watch:
    """The hooks of one watched model."""

    model: Any
    prefix: str
    gradients: bool
    parameters: bool
    log_freq: int
    handles: list[Any] = dataclasses.field(default_factory=list)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()


def watch(
    run: Run,
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> list[Watch]:
    """Hook the models (one torch module or a list); see the module docstring."""
    found = _models(models)
    gradients, parameters = _what(log)
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"log_freq must be a positive int (calls between logs), not {log_freq!r}.")
    watches = watches_of(run)
    made = []
    for number, model in enumerate(found):
        index = idx if idx is not None and len(found) == 1 else number
        prefix = f"{index}." if len(found) > 1 or idx is not None else ""
        unwatch(run, [model])
        entry = Watch(model, prefix, gradients, parameters, log_freq)
        if gradients or parameters:
            for name, param in model.named_parameters():
                if param.requires_grad:
                    entry.handles.append(param.register_hook(_counter(run, entry, name, param)))
        watches[id(model)] = entry
        if log_graph:
            run.save_file(f"graph/model{prefix or '.'}txt", str(model))
        made.append(entry)
    return made


def unwatch(run: Run, models: Any = None) -> None:
    """Remove the hooks of the given models (every watched model when None)."""
    watches = watches_of(run)
    chosen = list(watches) if models is None else [id(m) for m in _models(models)]
    for key in chosen:
        entry = watches.pop(key, None)
        if entry is not None:
            entry.remove()


def watches_of(run: Any) -> dict[int, Watch]:
    found = getattr(run, "_watches", None)
    if found is None:
        found = {}
        run._watches = found
    return found


def _models(models: Any) -> list[Any]:
    found = list(models) if isinstance(models, list | tuple) else [models]
    for model in found:
        if not callable(getattr(model, "named_parameters", None)):
            raise TypeError(
                f"watch() takes torch.nn.Module objects (or a list of them), not "
                f"{type(model).__name__}."
            )
    return found


def _what(log: Any) -> tuple[bool, bool]:
    if log not in LOGS:
        raise ValueError(
            f"log={log!r} is not something watch() logs; use 'gradients', 'parameters', 'all' "
            "or None."
        )
    return LOGS[log]


def _counter(run: Run, entry: Watch, name: str, param: Any) -> Any:
    calls = [0]

    def on_gradient(grad: Any) -> None:
        calls[0] += 1
        if calls[0] % entry.log_freq == 0 and not run.finished:
            data = {}
            if entry.gradients:
                data[f"gradients/{entry.prefix}{name}"] = histogram(grad.detach())
            if entry.parameters:
                data[f"parameters/{entry.prefix}{name}"] = histogram(param.detach())
            run.log(data, commit=False)

    return on_gradient


def histogram(tensor: Any) -> Any:
    """An ``nbtrack.Histogram`` of a tensor's finite values, binned by torch (no copy to numpy
    of the whole tensor)."""
    from nbtrack.media import Histogram

    flat = tensor.reshape(-1).float()
    flat = flat[flat.isfinite()]
    if flat.numel() == 0:
        return Histogram(np_histogram=([0], [0.0, 0.0]))
    low, high = flat.min().item(), flat.max().item()
    if low == high:
        low, high = low - 0.5, high + 0.5
    counts = flat.histc(bins=BINS, min=low, max=high)
    step = (high - low) / BINS
    edges = [low + i * step for i in range(BINS)] + [high]
    return Histogram(np_histogram=(counts.long().tolist(), edges))
