"""The run widget's system line (nbtrack.system) in a real kernel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.jupyter.conftest import client_for, notebook, widget_states

INIT = "import nbtrack\nrun = nbtrack.init(project='system-widget')"
WAIT = (
    "import time\n"
    "deadline = time.monotonic() + 30\n"
    "while run._sampler.samples < 2 and time.monotonic() < deadline:\n"
    "    time.sleep(0.05)\n"
    "assert run._sampler.samples >= 2"
)


def test_the_widget_shows_cpu_and_memory(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_STATS_INTERVAL", "0.1")
    nb = notebook(INIT, WAIT, "run.log({'loss': 1.0})", "run.finish()")
    client = client_for(nb, isolated)
    client.execute()
    html = nb.cells[0].outputs[0]["data"]["text/html"]  # the card, redrawn as the run ended
    line = re.search(r'<div class="nbtrack-system">system ([^<]*)</div>', html)
    assert line is not None, html
    assert re.fullmatch(r"CPU \d+% · process \d+% · RSS \d+ MB · memory \d+%", line.group(1))
    bodies = [str(s.get("value", "")) for s in widget_states(client).values()]
    assert any("nbtrack-system" in body and "RSS" in body for body in bodies)
