"""How a ``Run`` displays: the live widget where widgets render, a text/HTML card everywhere.

Frontends pick the richest type they can render: JupyterLab and Notebook the widget view, nbconvert
HTML and VS Code without the widget renderer the HTML card, the IPython terminal the text.
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING, Any

from nbtrack import environment
from nbtrack.jupyter import card as cards

if TYPE_CHECKING:
    from nbtrack._run import Run

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def mimebundle(
    run: Run, include: Container[str] | None = None, exclude: Container[str] | None = None
) -> dict[str, Any]:
    """The run's display data, filtered by IPython's ``include``/``exclude``."""
    card = cards.snapshot(run, cards.RecentMetrics(), uploads=False)
    bundle: dict[str, Any] = {"text/plain": cards.to_text(card), "text/html": cards.to_html(card)}
    wanted = (include is None or WIDGET_VIEW in include) and not (
        exclude and WIDGET_VIEW in exclude
    )
    if wanted and environment.in_jupyter_kernel():
        from nbtrack.jupyter.extension import widget_for

        widget = widget_for(run)
        if widget is not None:
            bundle[WIDGET_VIEW] = view(widget.model_id)
    return {
        key: value
        for key, value in bundle.items()
        if (include is None or key in include) and not (exclude and key in exclude)
    }


def view(model_id: str) -> dict[str, Any]:
    return {"version_major": 2, "version_minor": 0, "model_id": model_id}
