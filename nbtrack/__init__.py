"""nbtrack: Jupyter-first, local-first experiment tracking with a wandb-style API.

import nbtrack
run = nbtrack.init(project="mnist", config={"lr": 0.01})
nbtrack.log({"loss": 0.25})
run.finish()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtrack import errors, registry, util
from nbtrack._run import Run
from nbtrack.compat.features import require
from nbtrack.console import termerror, termlog, termwarn
from nbtrack.errors import Error, NotInitialized
from nbtrack.launch import init
from nbtrack.runconfig import Config
from nbtrack.runparts.summary import Summary
from nbtrack.settings import Settings

if TYPE_CHECKING:
    from nbtrack.account import login, logout
    from nbtrack.api import Api
    from nbtrack.artifacts import Artifact
    from nbtrack.jupyter.compare import compare
    from nbtrack.media import Audio, Histogram, Html, Image, Object3D, Table, Video
    from nbtrack.runparts.alerts import AlertLevel
    from nbtrack.runparts.metrics import Metric
    from nbtrack.syncing import SyncReport, sync

__version__ = "0.1.0"


def _current(function: str) -> Run:
    run = registry.current()
    if run is None:
        raise NotInitialized(function)
    return run


def log(data: Any, step: int | None = None, commit: bool | None = None) -> None:
    """Log to the current run: see :meth:`Run.log`."""
    run = registry._current  # read directly: this is the hot path of every training loop
    if run is None:
        raise NotInitialized("log")
    run.log(data, step, commit)


def finish(exit_code: int = 0, quiet: bool | None = None) -> None:
    """Finish the current run (does nothing when there is none)."""
    run = registry.current()
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def save(glob_str: Any = None, base_path: Any = None, policy: str = "live") -> Any:
    """Copy files into the current run's ``files/`` and upload them: see :meth:`Run.save`."""
    return _current("save").save(glob_str, base_path, policy)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    """Send an alert from the current run: see :meth:`Run.alert`."""
    _current("alert").alert(title, text, level, wait_duration)


def log_artifact(
    artifact_or_path: Any, name: str | None = None, type: str | None = None, aliases: Any = None
) -> Any:
    """Log an artifact from the current run: see :meth:`Run.log_artifact`."""
    return _current("log_artifact").log_artifact(artifact_or_path, name, type, aliases)


def use_artifact(artifact_or_name: Any, type: str | None = None, aliases: Any = None) -> Any:
    """Use an artifact in the current run: see :meth:`Run.use_artifact`."""
    return _current("use_artifact").use_artifact(artifact_or_name, type, aliases)


def watch(
    models: Any,
    criterion: Any = None,
    log: str | None = "gradients",
    log_freq: int = 1000,
    idx: int | None = None,
    log_graph: bool = False,
) -> Any:
    """Log histograms of torch models' gradients and/or parameters every ``log_freq`` backward
    passes: see :mod:`nbtrack.integration.watch`."""
    return _current("watch").watch(models, criterion, log, log_freq, idx, log_graph)


def unwatch(models: Any = None) -> None:
    """Remove ``watch()``'s hooks from the models (all of them when None)."""
    _current("unwatch").unwatch(models)


def log_model(path: Any, name: str | None = None, aliases: Any = None) -> Any:
    """Log a model file or folder from the current run: see :meth:`Run.log_model`."""
    return _current("log_model").log_model(path, name, aliases)


def use_model(name: str) -> str:
    """Download a model artifact for the current run: see :meth:`Run.use_model`."""
    return _current("use_model").use_model(name)


def define_metric(
    name: str,
    step_metric: Any = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    overwrite: bool | None = None,
) -> Metric:
    """Define a metric of the current run: see :meth:`Run.define_metric`."""
    run = _current("define_metric")
    return run.define_metric(name, step_metric, step_sync, hidden, summary, goal, overwrite)


class _Proxy:
    """``nbtrack.config`` / ``nbtrack.summary``: the current run's, looked up at each use."""

    def __init__(self, attribute: str) -> None:
        object.__setattr__(self, "_attribute", attribute)

    def _target(self) -> Any:
        return getattr(_current(self._attribute), self._attribute)

    def __getattr__(self, key: str) -> Any:
        return getattr(self._target(), key)

    def __setattr__(self, key: str, value: Any) -> None:
        setattr(self._target(), key, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._target()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._target()

    def __iter__(self) -> Any:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __repr__(self) -> str:
        run = registry.current()
        return (
            repr(getattr(run, self._attribute)) if run else f"<nbtrack.{self._attribute}: no run>"
        )


config: Config = _Proxy("config")  # type: ignore[assignment]
summary: Summary = _Proxy("summary")  # type: ignore[assignment]


_MEDIA = frozenset({"Audio", "Histogram", "Html", "Image", "Object3D", "Table", "Video"})


def __getattr__(name: str) -> Any:
    if name == "run":
        return registry.current()
    if name == "Api":
        from nbtrack.api import Api

        return Api
    if name == "Artifact":
        from nbtrack.artifacts import Artifact

        return Artifact
    if name in ("sync", "SyncReport"):
        from nbtrack import syncing

        return getattr(syncing, name)
    if name in _MEDIA:
        from nbtrack import media

        return getattr(media, name)
    if name == "plot":
        import nbtrack.plot

        return nbtrack.plot
    if name == "compare":
        from nbtrack.jupyter.compare import compare

        return compare
    if name == "AlertLevel":
        from nbtrack.runparts.alerts import AlertLevel

        return AlertLevel
    if name in ("login", "logout"):
        from nbtrack import account

        return getattr(account, name)
    raise AttributeError(f"module 'nbtrack' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbtrack``."""
    from nbtrack.jupyter import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from nbtrack.jupyter import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "AlertLevel",
    "Api",
    "Artifact",
    "Audio",
    "Config",
    "Error",
    "Histogram",
    "Html",
    "Image",
    "Object3D",
    "Run",
    "Settings",
    "Summary",
    "SyncReport",
    "Table",
    "Video",
    "__version__",
    "alert",
    "compare",
    "config",
    "define_metric",
    "errors",
    "finish",
    "init",
    "load_ipython_extension",
    "log",
    "log_artifact",
    "log_model",
    "login",
    "logout",
    "plot",
    "require",
    "run",
    "save",
    "summary",
    "sync",
    "termerror",
    "termlog",
    "termwarn",
    "unload_ipython_extension",
    "unwatch",
    "use_artifact",
    "use_model",
    "util",
    "watch",
]
