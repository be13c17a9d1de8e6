"""nbtrack in Jupyter: ``%load_ext nbtrack``, the live run widget, cell hooks, ``%%track``.

Everything here is imported when first used, so ``import nbtrack`` stays cheap:

    %load_ext nbtrack                 # magics, cell hooks, the ``nbtrack`` comm target
    run = nbtrack.init(project="p")   # in a kernel: attach(run) shows the widget
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack._run import Run


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbtrack``: register the magics, the cell hooks and the comm target once."""
    from nbtrack.jupyter.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext nbtrack``: remove everything ``load_ipython_extension`` registered."""
    from nbtrack.jupyter.extension import unload

    unload(ipython)


def attach(run: Run) -> None:
    """Called by ``nbtrack.init()`` in a kernel: widget, cell ownership, notebook and code."""
    from nbtrack.jupyter.extension import attach as attach_run

    attach_run(run)


__all__ = ["attach", "load_ipython_extension", "unload_ipython_extension"]
