"""How a run displays where widgets cannot render: IPython terminal, nbconvert HTML, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbtrack
from nbtrack.jupyter import card
from nbtrack.jupyter.display import WIDGET_VIEW, mimebundle
from tests.jupyter.conftest import client_for, notebook, run_cell


def test_outside_a_kernel_the_run_is_text_and_html(isolated: Path) -> None:
    run = nbtrack.init(project="show", name="plain-run")
    bundle = mimebundle(run)
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"].startswith(f"nbtrack run plain-run ({run.id}) · show · running")
    assert run.id in bundle["text/html"] and "nbtrack-running" in bundle["text/html"]
    assert set(mimebundle(run, include={"text/plain"})) == {"text/plain"}
    assert set(mimebundle(run, exclude={"text/html"})) == {"text/plain"}
    run.finish()
    assert "· finished" in mimebundle(run)["text/plain"]


def test_ipython_shell_shows_the_text_card(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cell(shell, "import nbtrack\nrun = nbtrack.init(project='p', name='shown')").success
    assert run_cell(shell, "run").success
    out = capsys.readouterr().out
    assert "nbtrack run shown (" in out and "offline" in out


def test_html_card_escapes_and_orders_metrics() -> None:
    metrics = card.RecentMetrics()
    metrics.update({"_step": 0, "a": 1.0, "b": "<script>"})
    metrics.update({"_step": 1, "c": 0.123456789})
    shown = card.Card(
        name="<b>x</b>", run_id="id1", project="p", link="https://h/p/runs/id1", offline=False,
        status="failed", reason="ValueError: <bad>", metrics=metrics.top(),
        upload_state="syncing", uploaded=3, total=9,
    )  # fmt: skip
    html = card.to_html(shown)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html and "&lt;bad&gt;" in html
    assert metrics.top() == (("c", "0.1235"), ("b", "<script>"), ("a", "1"))
    assert 'href="https://h/p/runs/id1"' in html and "syncing 3/9" in html
    assert card.format_elapsed(3725) == "1h 02m 05s" and card.format_elapsed(65) == "1m 05s"


def test_nbconvert_html_without_widget_state_shows_the_card(isolated: Path) -> None:
    from nbconvert import HTMLExporter

    nb = notebook(
        "import nbtrack\nrun = nbtrack.init(project='export', name='exported')",
        "run.log({'loss': 0.25})\nrun",
        "run.finish()",
    )
    client_for(nb, isolated).execute()
    assert WIDGET_VIEW in nb.cells[1].outputs[0]["data"]
    nb.metadata.pop("widgets", None)  # saved without widget state (e.g. reopened, no kernel)
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert body.count('class="nbtrack-run"') == 2
    assert "exported" in body and "nbtrack-badge nbtrack-running" in body  # `run`, as it was
    assert "nbtrack-badge nbtrack-finished" in body  # init's card, updated at finish
    assert "loss <b>0.25</b>" in body
