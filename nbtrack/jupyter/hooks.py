"""Cell hooks: which cell started which run, and finishing those runs when the cell runs again.

IPython calls ``pre_run_cell`` before every non-silent cell. For a cell that does not use nbtrack
the hook stores the cell ID and returns; it never raises into the kernel.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbtrack import console

if TYPE_CHECKING:
    from nbtrack._run import Run

REEXECUTED = "finished by re-executing its cell"


class CellHooks:
    """The runs each cell started, and the live runs whose code log follows every cell."""

    def __init__(self) -> None:
        self.current_cell: str | None = None
        self.current_code = ""
        self._by_cell: dict[str, list[Run]] = {}
        self._cell_listeners: list[Callable[[str], None]] = []
        self._lock = threading.Lock()

    def own(self, cell_id: str | None, run: Run) -> None:
        """Remember that cell ``cell_id`` started ``run``."""
        if cell_id:
            with self._lock:
                self._by_cell.setdefault(cell_id, []).append(run)

    def on_cell(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(code)`` before each cell while it is registered (code capture)."""
        self._cell_listeners.append(listener)

    def off_cell(self, listener: Callable[[str], None]) -> None:
        if listener in self._cell_listeners:
            self._cell_listeners.remove(listener)

    def pre_run_cell(self, *args: Any, **kwargs: Any) -> None:
        """IPython's ``pre_run_cell`` event: accepts ``(info)`` or nothing, never raises."""
        try:
            info = args[0] if args else kwargs.get("info")
            cell_id = getattr(info, "cell_id", None)
            self.current_cell = cell_id if isinstance(cell_id, str) else None
            self.current_code = str(getattr(info, "raw_cell", "") or "")
            if self.current_cell is not None and self.current_cell in self._by_cell:
                self._finish_cell(self.current_cell)
            for listener in list(self._cell_listeners):
                listener(self.current_code)
        except Exception:
            report("pre_run_cell")

    def _finish_cell(self, cell_id: str) -> None:
        with self._lock:
            runs = self._by_cell.pop(cell_id, [])
        for run in runs:
            if not run.finished:
                run.finish(reason=REEXECUTED)


def report(where: str) -> None:
    """Tell the user a hook failed, in one short block, without breaking the cell."""
    console.say(f"internal error in the {where} hook (the cell runs anyway):")
    if not console.silent():
        traceback.print_exc(limit=3)
