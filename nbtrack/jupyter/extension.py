"""The extension's state in this kernel: what ``%load_ext nbtrack`` registers and ``attach`` adds.

One ``Extension`` per process. ``load`` is idempotent and ``unload`` removes every registration;
``attach(run)`` (called by ``nbtrack.init()`` in a kernel) loads it first, so a user who forgot
``%load_ext`` still gets the widget and re-execution finishing.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbtrack import console, environment
from nbtrack.jupyter.channel import NotebookChannel
from nbtrack.jupyter.hooks import REEXECUTED, CellHooks
from nbtrack.jupyter.provenance import Provenance, history

if TYPE_CHECKING:
    from nbtrack._run import Run
    from nbtrack.jupyter.widget import RunWidget

_lock = threading.RLock()
_active: Extension | None = None
_widgets: dict[Run, RunWidget] = {}
_displays: dict[Run, list[str]] = {}


class Extension:
    """Magics, cell hooks and the comm target registered in one IPython shell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.hooks = CellHooks()
        self.channel = NotebookChannel(self._announced)
        self.provenance: dict[Run, Provenance] = {}
        self.magics: Any = None

    def register(self) -> None:
        from nbtrack.jupyter.magics import Track

        self.magics = Track(shell=self.shell, config=self.shell.config)
        self.shell.register_magics(self.magics)  # a Magics adds itself to shell.configurables
        self.shell.events.register("pre_run_cell", self.hooks.pre_run_cell)
        if environment.in_jupyter_kernel():
            self.channel.register()

    def unregister(self) -> None:
        events = self.shell.events
        if self.hooks.pre_run_cell in events.callbacks["pre_run_cell"]:
            events.unregister("pre_run_cell", self.hooks.pre_run_cell)
        self.channel.unregister()
        if self.magics is not None:
            for kind, names in self.magics.magics.items():
                for name in names:
                    self.shell.magics_manager.magics[kind].pop(name, None)
            configurables = self.shell.configurables
            configurables[:] = [c for c in configurables if c is not self.magics]
            self.magics = None

    def attach(self, run: Run) -> None:
        """Own ``run`` by the running cell, capture its code and notebook, show its widget."""
        self.hooks.own(self.hooks.current_cell or parent_cell_id(self.shell), run)
        if environment.in_jupyter_kernel():
            show(run)
        if run.dir:
            self._follow(run)

    def _follow(self, run: Run) -> None:
        provenance = Provenance(run, self.shell, history(self.shell))
        self.provenance[run] = provenance
        self.hooks.on_cell(provenance.add_cell)
        run.before_finish(lambda _: provenance.join())  # the notebook is recorded before the end
        run.on_finish(lambda _: self._forget(run))
        provenance.start(self.channel.announced)

    def _forget(self, run: Run) -> None:
        provenance = self.provenance.pop(run, None)
        if provenance is not None:
            self.hooks.off_cell(provenance.add_cell)

    def _announced(self, message: dict[str, str]) -> str | None:
        """The JupyterLab extension named the notebook: record it for the live runs."""
        from nbtrack.jupyter import notebook

        path = notebook.announced_path(message)
        if path is None:
            return None
        identity = notebook.NotebookIdentity(path, "jupyterlab")
        for provenance in list(self.provenance.values()):
            provenance.join(0.5)
            provenance.record(identity)
        return str(path)


def parent_cell_id(shell: Any) -> str | None:
    """The cell ID of the execute request the kernel is handling (JupyterLab sends one)."""
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else {}
    except Exception:
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return cell_id if isinstance(cell_id, str) else None


def active() -> Extension | None:
    return _active


def load(shell: Any) -> Extension:
    global _active
    with _lock:
        if _active is not None and _active.shell is shell:
            return _active
        if _active is not None:
            _active.unregister()
        _active = Extension(shell)
        _active.register()
        return _active


def unload(shell: Any) -> None:
    global _active
    with _lock:
        if _active is not None and _active.shell is shell:
            _active.unregister()
            _active = None


def attach(run: Run) -> None:
    """``nbtrack.init()`` created ``run`` inside IPython: load the extension and attach the run."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            load(shell).attach(run)
    except Exception:
        from nbtrack.jupyter.hooks import report

        report("attach")


def widget_for(run: Run) -> RunWidget | None:
    """The run's widget, made on first use (one per run; every display shows the same one)."""
    with _lock:
        widget = _widgets.get(run)
        if widget is None:
            try:
                from nbtrack.jupyter.widget import RunWidget
            except ImportError:
                return None
            widget = _widgets[run] = RunWidget(run)
            run.on_finish(lambda _: _final_refresh(widget))
            if not run.finished:
                from nbtrack.jupyter.ticker import TICKER

                TICKER.add(widget)
        return widget


def _final_refresh(widget: RunWidget) -> None:
    from nbtrack.jupyter.ticker import TICKER

    try:
        widget.refresh()
        if not widget.live:
            TICKER.discard(widget)
        _update_displays(widget.run)
    except Exception as exc:  # e.g. the kernel is shutting down
        console.say(f"could not update the widget of run {widget.run_id}: {exc!r}")


def show(run: Run) -> None:
    """Display the run (its widget, with the text/HTML card as fallback) in the running cell."""
    from IPython import display

    from nbtrack.jupyter.display import mimebundle

    display_id = f"nbtrack-{run.id}-{secrets.token_hex(4)}"
    publish: Callable[..., None] = display.display
    publish(mimebundle(run), raw=True, display_id=display_id)
    _displays.setdefault(run, []).append(display_id)


def _update_displays(run: Run) -> None:
    """Refresh the text/HTML card stored with the run's outputs, so a saved notebook opened
    later without its kernel (where the widget cannot come back) shows how the run ended."""
    from IPython import display

    from nbtrack.jupyter.display import mimebundle

    display_ids = _displays.pop(run, [])
    if run.finish_reason == REEXECUTED:
        return  # its cell is running again: the frontend has cleared those outputs
    update: Callable[..., None] = display.update_display
    for display_id in display_ids:
        update(mimebundle(run), raw=True, display_id=display_id)
