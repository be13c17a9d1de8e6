"""``nbtrack.compare()``: runs side by side in the notebook, live, with no server needed.

    nbtrack.compare()                              # the runs this kernel started
    nbtrack.compare("mnist", metrics=["loss"], group_by="config.lr", smoothing=0.6)

Imported only when used: anywidget and the charts' front-end load then, never on ``import
nbtrack``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.jupyter.compare.widget import CompareWidget

SAMPLES = 1000


def compare(
    runs: Any = None,
    project: str | None = None,
    metrics: Sequence[str] | None = None,
    x: str = "_step",
    group_by: str | None = None,
    smoothing: float = 0,
    max_runs: int = 100,
    *,
    legend: Sequence[str] | None = None,
) -> CompareWidget:
    """A widget comparing runs: a panel per metric, a line per run, the config diff.

    ``runs``: Run objects, ``Api.local()`` results, run IDs or run directories, or a project
    name; by default the runs this kernel started (with ``project``: that project's local runs).
    ``x``: ``"_step"``, ``"_runtime"`` (relative time), ``"_timestamp"`` (wall time) or any
    logged key. ``group_by="config.lr"`` draws one mean line with a min-max band per value.
    ``smoothing`` is the EMA weight in [0, 1). ``legend`` names the config keys shown beside each
    run's name (default: up to three keys whose values differ).
    """
    from nbtrack.errors import UsageError
    from nbtrack.jupyter.compare import loading
    from nbtrack.jupyter.compare.rows import no_collection
    from nbtrack.jupyter.compare.sources import resolve, sources
    from nbtrack.jupyter.compare.widget import CompareWidget

    if not 0 <= smoothing < 1:
        raise UsageError(f"smoothing={smoothing!r} must be in [0, 1): 0 is no smoothing.")
    if isinstance(metrics, str):
        metrics = [metrics]
    if group_by is not None and not group_by.strip():
        raise UsageError("group_by must name a config key, e.g. group_by='config.lr'.")
    found = sources(
        resolve(runs, project, max_runs), SAMPLES, x, frozenset(metrics) if metrics else None
    )
    with no_collection():  # many short-lived acyclic objects: no scans of the kernel's heap
        loading.load(found)
        widget = CompareWidget(
            found,
            metrics=metrics,
            legend=legend,
            x=x,
            group_by=group_by or "",
            smoothing=float(smoothing),
            samples=SAMPLES,
        )
    _warn_empty(widget, x)
    return widget


def _warn_empty(widget: CompareWidget, x: str) -> None:
    """Say which panels have nothing to draw (a misspelt metric or x key), once every run has
    ended: a live run may still log them."""
    from nbtrack.console import termwarn
    from nbtrack.jupyter.compare.views import AXES

    empty = [
        metric
        for metric in widget.panels
        if not any(line["y"] for line in widget.series.get(metric, {}).values())
    ]
    if widget.live or not empty:
        return
    against = "" if x in AXES else f" against x={x!r}"
    termwarn(
        f"compare(): nothing to draw for {', '.join(map(repr, empty))}: no run here logged it"
        f"{against}; check the names given to metrics= and x=."
    )


__all__ = ["compare"]
