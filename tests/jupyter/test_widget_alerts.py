"""Alerts in the run widget of a real kernel."""

from __future__ import annotations

from pathlib import Path

from tests.jupyter.conftest import client_for, notebook, run_widgets, widget_states

INIT = "import nbtrack\nrun = nbtrack.init(project='alert-widget')"
ALERT = "run.alert('Diverging', 'loss <rising>', level=nbtrack.AlertLevel.WARN)"


def test_the_widget_shows_the_runs_alerts(isolated: Path) -> None:
    nb = notebook(INIT, ALERT, "run.finish()")
    client = client_for(nb, isolated)
    client.execute()
    html = nb.cells[0].outputs[0]["data"]["text/html"]  # the card, redrawn as the run ended
    assert "nbtrack-alert nbtrack-alert-warn" in html and "loss &lt;rising&gt;" in html
    (widget,) = run_widgets(client)
    bodies = [str(s.get("value", "")) for s in widget_states(client).values()]
    assert any("Diverging" in body and "nbtrack-alert-warn" in body for body in bodies), widget
