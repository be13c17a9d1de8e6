"""Media in a real kernel: every type logged, the widget shows the latest images and table head,
Image and Table display inline (PNG, HTML: what nbconvert keeps), and files are read back."""

from __future__ import annotations

from pathlib import Path

from tests.jupyter.conftest import client_for, notebook, widget_states

SETUP = (
    "import numpy as np, nbtrack\n"
    "from tests.media.mediarun import every_type, pixels\n"
    "run = nbtrack.init(project='media-kernel')"
)
LOG = (
    "import pathlib\n"
    "run.log(every_type(pathlib.Path('.')))\n"
    "run.log({'preds': nbtrack.Table(columns=['id', 'label'], data=[[7, 'cat'], [8, 'dog']]),\n"
    "         'sample': nbtrack.Image(pixels(1), caption='first')})"
)
SHOW = "nbtrack.Image(pixels(2), caption='inline')"
TABLE = "nbtrack.Table(columns=['a', 'b'], data=[[1, 'x'], [2, 'y']])"
READ = (
    "run.finish()\n"
    "row = next(nbtrack.Api.local().run(run.id).scan_history())\n"
    "print(row['array'].image().size, row['table'].get_dataframe().shape)"
)


def test_media_in_a_kernel(isolated: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    setup = f"import sys; sys.path.insert(0, {str(repo)!r})\n" + SETUP
    nb = notebook(setup, LOG, SHOW, TABLE, READ)
    client = client_for(nb, isolated)
    client.execute()
    assert "image/png" in nb.cells[2].outputs[0]["data"]
    assert "<table class='nbtrack-table'>" in nb.cells[3].outputs[0]["data"]["text/html"]
    assert nb.cells[4].outputs[0]["text"].strip() == "(32, 32) (2, 3)"
    bodies = [str(s.get("value", "")) for s in widget_states(client).values()]
    card = next(body for body in bodies if "nbtrack-media" in body)
    assert "<code>sample</code>" in card and "data:image/png;base64," in card
    assert "<figcaption>first</figcaption>" in card
    assert "<td>cat</td>" in card and "2 rows x 2 columns" in card
    files = list((isolated / "nbtrack").glob("*/files/media/*"))
    assert len(files) >= 15
