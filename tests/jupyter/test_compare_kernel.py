"""nbtrack.compare() in a real kernel: the widget's state holds one series per run, and points
logged while the widget is shown arrive as delta messages from the background thread."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from nbtrack import series
from tests.jupyter.conftest import client_for, notebook, widget_states

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

RUNS = """
import math, nbtrack
for lr in (0.1, 0.01, 0.001):
    run = nbtrack.init(project="cmp", config={"lr": lr, "batch": 32})
    for step in range(3000):
        run.log({"loss": math.exp(-lr * step), "acc": 1 - math.exp(-lr * step)})
    run.finish()
"""


def test_the_widget_state_holds_one_series_per_run(isolated: Path) -> None:
    nb = notebook(RUNS, "import nbtrack\nnbtrack.compare()")
    client = client_for(nb, isolated, store_widget_state=True)
    client.execute()
    (state,) = [s for s in widget_states(client).values() if s.get("mode") == "compare"]
    assert state["panels"] == ["acc", "loss"]
    assert len(state["runs"]) == 3 and len(state["series"]["loss"]) == 3
    assert {r["id"] for r in state["runs"]} == set(state["series"]["loss"])
    drawn = series.colours([r["id"] for r in state["runs"]])  # as on the server
    assert all(r["colour"] == drawn[r["id"]] for r in state["runs"])
    for run, lr in zip(state["runs"], (0.1, 0.01, 0.001), strict=True):
        truth = [math.exp(-lr * step) for step in range(3000)]
        steps, values = series.downsample(range(3000), truth, state["samples"])
        assert state["series"]["loss"][run["id"]] == {"x": steps, "y": values}
    assert state["diff"]["keys"][:1] == ["lr"] and state["diff"]["differs"] == 1
    assert "(lr=0.1)" in state["runs"][0]["label"]
    assert state["live"] is False


LIVE = """
import nbtrack, time, json
run = nbtrack.init(project="live", config={"lr": 0.5})
run.log({"loss": 1.0})
widget = nbtrack.compare([run])
display(widget)
print(json.dumps({"model": widget.model_id}))
"""
LOOP = """
start = time.monotonic()
step = 0
while time.monotonic() - start < 3:
    run.log({"loss": 1.0 / (step + 2)})
    step += 1
    time.sleep(0.001)
print(json.dumps({"last": run.step - 1}))
run.finish()
"""


def test_points_logged_while_shown_arrive_live(isolated: Path) -> None:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(isolated))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        _, shown = run_code(client, LIVE)
        messages, out = run_code(client, LOOP)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    messages = [m for m in messages if m["content"]["comm_id"] == shown["model"]]
    deltas = [m for m in messages if m["content"]["data"].get("method") == "custom"]
    assert len(deltas) >= 3  # several updates during a 3 s loop, at most two a second
    assert len(deltas) <= 2 * 3 + 2
    steps = [  # a delta may carry no new point (a poll that read only a system sample)
        x
        for m in deltas
        for line in m["content"]["data"]["content"]["series"].get("loss", {}).values()
        for x in line["x"]
    ]
    assert steps and max(steps) > 10
    updates = [m for m in messages if m["content"]["data"].get("method") == "update"]
    final = [
        u["content"]["data"]["state"] for u in updates if "series" in u["content"]["data"]["state"]
    ]
    assert final and max(final[-1]["series"]["loss"].popitem()[1]["x"]) == out["last"]


def run_code(client: Any, code: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``code``; the comm messages seen until the kernel is idle and the last JSON printed,
    then the comm messages sent in the following second (the ticker's last refresh)."""
    import json

    msg_id = client.execute(code)
    comms: list[dict[str, Any]] = []
    printed: dict[str, Any] = {}
    idle_at = None
    while idle_at is None or time.monotonic() - idle_at < 1.5:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except Exception:
            continue
        kind = msg["msg_type"]
        if kind == "comm_msg":
            comms.append(msg)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if kind == "stream" and msg["content"]["text"].strip().startswith("{"):
            printed = json.loads(msg["content"]["text"].strip().splitlines()[-1])
        elif kind == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle_at = time.monotonic()
    return comms, printed


RUN_CHARTS = """
import time, nbtrack
from nbtrack.jupyter.extension import widget_for
run = nbtrack.init(project="charts")
run.define_metric("loss", step_metric="epoch")
card = widget_for(run)
deadline = time.monotonic() + 30
step = 0
while card._charts is None and time.monotonic() < deadline:  # until the ticker adds the charts
    run.log({"loss": 1 / (step + 1), "epoch": step / 2, "acc": step})
    step += 1
    time.sleep(0.01)
run.log({"loss": 0.0, "epoch": 1000.0, "acc": -1})
run.finish()
while card._charts.live and time.monotonic() < deadline:  # until the charts saw the end
    time.sleep(0.05)
print(step)
"""


def test_the_run_widget_charts_its_metrics_against_the_step_metric(isolated: Path) -> None:
    nb = notebook(RUN_CHARTS)
    client = client_for(nb, isolated, store_widget_state=True)
    client.execute()
    (card,) = [s for s in widget_states(client).values() if "run_id" in s]
    (charts,) = [s for s in widget_states(client).values() if s.get("mode") == "run"]
    assert f"IPY_MODEL_{charts_id(client)}" in card["children"]
    assert charts["panels"] == ["acc", "epoch", "loss"] and charts["live"] is False
    steps = int(nb.cells[0].outputs[-1]["text"])
    loss = charts["series"]["loss"][card["run_id"]]
    assert loss["x"] == [s / 2 for s in range(steps)] + [1000.0]  # x: the epoch
    assert loss["y"][-1] == 0.0
    assert charts["series"]["acc"][card["run_id"]]["x"] == list(range(steps + 1))


def charts_id(client: Any) -> str:
    return next(mid for mid, s in widget_states(client).items() if s.get("mode") == "run")
