"""System metrics: a sampler thread per run writes ``system`` records, its own stream, read back
through ``history(stream="system")`` locally and from a server (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import nbtrack
from nbtrack import runlog
from tests.liveserver import LiveServer, wait_for
from tests.server.support import BACKENDS, live_server_for

CORE_KEYS = {
    "_runtime",
    "_timestamp",
    "system.cpu",
    "system.proc.cpu.percent",
    "system.proc.memory.rssMB",
    "system.memory",
    "system.memory.availableMB",
    "system.disk.usagePercent",
    "system.disk.usageGB",
    "system.network.sent",
    "system.network.recv",
}


def records(run: nbtrack.Run, kind: str) -> list[Any]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == kind]


def sampled_run(monkeypatch: pytest.MonkeyPatch, samples: int = 3) -> nbtrack.Run:
    monkeypatch.setenv("NBTRACK_STATS_INTERVAL", "0.05")
    run = nbtrack.init(project="sys")
    for step in range(5):
        run.log({"loss": 1 / (step + 1)})
    assert run._sampler is not None
    wait_for(lambda: run._sampler is not None and run._sampler.samples >= samples, 20, "samples")
    run.finish()
    return run


def test_samples_are_their_own_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    run = sampled_run(monkeypatch)
    found = records(run, "system")
    assert len(found) >= 4  # three while running, one as the run ends
    assert set(found[0]) >= CORE_KEYS
    runtimes = [s["_runtime"] for s in found]
    assert runtimes == sorted(runtimes) and runtimes[-1] <= run.runtime
    assert 0 <= found[-1]["system.memory"] <= 100 and found[-1]["system.proc.memory.rssMB"] > 1
    view = nbtrack.Api.local().run("sys", run.id)
    rows = view.history(stream="system", pandas=False)
    assert len(rows) == len(found) and set(rows[0]) >= CORE_KEYS
    assert all("_step" not in row for row in rows)
    history = view.history(pandas=False)
    assert [r["_step"] for r in history] == [0, 1, 2, 3, 4]
    assert not any(k.startswith("system.") for r in history for k in r)
    frame = view.history(stream="system", keys=["system.cpu"])
    assert list(frame.columns) == ["_runtime", "system.cpu"] and len(frame) == len(found)
    assert len(view.history(stream="system", samples=2, pandas=False)) == 2


def test_no_gpu_is_noted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    run = sampled_run(monkeypatch)
    notes = [m["system"] for m in records(run, "meta") if "system" in m]
    assert len(notes) == 1 and notes[0]["gpu"].startswith("no GPU metrics")
    assert not any(k.startswith("system.gpu") for s in records(run, "system") for k in s)


def test_off_by_setting_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_STATS_INTERVAL", "0.05")
    run = nbtrack.init(project="sys", settings=nbtrack.Settings(x_disable_stats=True))
    assert run._sampler is None and run.settings.disable_stats
    run.finish()
    monkeypatch.setenv("NBTRACK_DISABLE_STATS", "1")
    other = nbtrack.init(project="sys")
    other.finish()
    assert records(run, "system") == [] and records(other, "system") == []


def test_a_run_over_before_the_sampler_opens_records_nothing_and_ends_at_once() -> None:
    run = nbtrack.init(project="sys")  # the default interval: the sampler opens after 2 s
    assert run._sampler is not None and run._sampler.is_alive()
    run.log({"x": 1.0})
    run.finish()
    assert not run._sampler.is_alive() and run._sampler.samples == 0
    assert records(run, "system") == []


def test_bad_interval_and_stream_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_STATS_INTERVAL", "soon")
    with pytest.raises(ValueError, match="stats_interval='soon' must be a number of seconds"):
        nbtrack.init(project="sys")
    monkeypatch.setenv("NBTRACK_STATS_INTERVAL", "0.05")
    run = nbtrack.init(project="sys")
    run.finish()
    with pytest.raises(ValueError, match="stream='gpu' is not a stream"):
        nbtrack.Api.local().run("sys", run.id).history(stream="gpu")


def test_import_stays_light() -> None:
    code = "import sys, nbtrack; print('psutil' in sys.modules, 'pynvml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.fixture(params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from live_server_for(request.param, tmp_path_factory.mktemp("system-server"))


def test_synced_to_the_server(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    run = sampled_run(monkeypatch)
    local = records(run, "system")
    monkeypatch.setenv("NBTRACK_BASE_URL", server.url)
    monkeypatch.setenv("NBTRACK_API_KEY", server.admin_key)
    assert nbtrack.sync().ok
    assert nbtrack.sync(include_synced=True).ok  # sent again: each sample stored once
    view = nbtrack.Api().run(f"sys/{run.id}")
    assert view.history(stream="system", pandas=False) == local
    assert len(view.history(stream="system", samples=2, pandas=False)) == 2
    page = (
        server.web_session().get(f"{server.url}/{view.entity}/sys/runs/{run.id}", timeout=30).text
    )
    assert 'id="system-section"' in page and "/static/system.js" in page


def test_online_run_sends_samples(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    run = sampled_run(monkeypatch, samples=2)
    view = nbtrack.Api().run(f"sys/{run.id}")
    assert view.history(stream="system", pandas=False) == records(run, "system")


def test_server_refuses_bad_samples(target: LiveServer) -> None:
    entity = target.api("GET", "/viewer")["entity"]
    url = f"{target.url}/api/v1/runs/{entity}/sys/badrun/system"
    headers = {"Authorization": f"Bearer {target.admin_key}"}
    for body in (
        {"samples": [{"offset": 1, "data": {"system.cpu": 1.0}}]},
        {"samples": [{"offset": 1, "data": {"_runtime": 1.0, "x": "text"}}]},
        {"samples": [{"offset": -1, "data": {"_runtime": 1.0}}]},
    ):
        answer = requests.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code == 400, answer.text


def test_widget_line_names_each_gpu() -> None:
    from nbtrack.jupyter.card import system_line

    sample = {"system.cpu": 12.4, "system.memory": 41.0, "system.gpu.0.gpu": 80.0}
    sample.update({"system.gpu.0.memoryAllocatedMB": 5120.0, "system.gpu.1.gpu": 3.0})
    assert system_line(sample) == "CPU 12% · memory 41% · GPU0 80% 5120 MB · GPU1 3% 0 MB"
    assert system_line({}) == ""
