"""The example notebooks in notebooks/, executed in real kernels; their widgets and runs checked."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbtrack
from nbtrack.jupyter.hooks import REEXECUTED
from tests.jupyter.conftest import (
    NOTEBOOKS,
    client_for,
    load_notebook,
    run_widgets,
    runs_on_disk,
    states,
    widget_states,
)
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("notebooks-server") / "data").start()
    yield live
    live.stop()


def copy(name: str, folder: Path) -> Path:
    return Path(shutil.copy(NOTEBOOKS / name, folder / name))


def texts(cell: dict) -> str:  # type: ignore[type-arg]
    return "".join(o.get("text", "") for o in cell["outputs"])


def test_quickstart(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_NOTEBOOK_NAME", str(copy("quickstart.ipynb", isolated)))
    nb = load_notebook("quickstart.ipynb")
    client = client_for(nb, isolated)
    client.execute()
    (widget,) = run_widgets(client)
    (state,) = runs_on_disk(isolated)
    assert (widget["run_id"], widget["run_name"]) == (state.info["id"], state.info["name"])
    assert widget["status"] == "finished" == state.state
    assert widget["link"] == os.path.relpath(state.path, isolated)
    assert state.history_count == 300 and state.config == {"lr": 0.01, "epochs": 3}
    assert state.metadata["notebook"]["name"] == "quickstart.ipynb"
    assert (state.path / "files" / "code" / "quickstart.ipynb").is_file()
    printed = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert all(o["output_type"] != "stream" for o in printed)  # quiet: widgets only


def test_reinit_notebook_and_reexecuting_its_init_cell(isolated: Path) -> None:
    nb = load_notebook("reinit.ipynb")
    client = client_for(nb, isolated)
    init_index = next(i for i, c in enumerate(nb.cells) if 'reinit-demo")  #' in c.source)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        status = next(c for c in nb.cells if c.source == "%nbtrack status")
        assert "2 live runs" in texts(status)  # main and side; the %%track run ended
        assert states(isolated) == ["finished", "finished", "finished"]
        client.execute_cell(nb.cells[init_index], init_index)
        client.execute_cell(nb.cells[init_index], init_index)
        client.execute_cell(nb.cells[init_index], init_index)
        assert states(isolated) == ["finished"] * 5 + ["running"]
        widgets = run_widgets(client)
        assert [w["finish_reason"] for w in widgets[-3:-1]] == [REEXECUTED, REEXECUTED]
    tracked = [s for s in runs_on_disk(isolated) if s.config.get("layers") == [64, 64]]
    assert len(tracked) == 1 and tracked[0].config["lr"] == 0.1


def test_offline_and_sync_notebook(
    server: LiveServer, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_BASE_URL", server.url)
    monkeypatch.setenv("NBTRACK_API_KEY", server.admin_key)
    nb = load_notebook("offline_and_sync.ipynb")
    client = client_for(nb, isolated)
    client.execute()
    (state,) = runs_on_disk(isolated)
    assert state.state == "finished" and state.path.name.startswith("offline-run-")
    assert f"synced 1 run, {state.records} records sent" in texts(nb.cells[-1])
    remote = nbtrack.Api(server.url, server.admin_key).run(f"admin/offline-demo/{state.info['id']}")
    assert len(list(remote.scan_history())) == 100


def test_compare_notebook(isolated: Path) -> None:
    nb = load_notebook("compare.ipynb")
    client = client_for(nb, isolated, store_widget_state=True)
    client.execute()
    compared = [s for s in widget_states(client).values() if s.get("mode") == "compare"]
    plain, grouped = sorted(compared, key=lambda s: bool(s["group_by"]))
    assert len(plain["runs"]) == 10 and len(plain["series"]["metric"]) == 10
    for x, run in enumerate(plain["runs"]):
        line = plain["series"]["metric"][run["id"]]
        assert line == {"x": list(range(100)), "y": [float(x + y) for y in range(100)]}
    assert plain["diff"]["keys"][:2] == ["parity", "x"]
    assert [b["group"] for b in grouped["bands"]["metric"]] == ["0", "1"]
    assert grouped["smoothing"] == 0.5
    html = [o for o in nb.cells[3].outputs if "text/html" in o.get("data", {})]
    assert html and "<svg" in html[0]["data"]["text/html"]  # the static fallback (nbconvert)
