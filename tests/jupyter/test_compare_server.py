"""compare() of a server's runs (nbtrack.Api results): one batched series query per refresh,
live runs polled with since-cursors, the same lines as the local logs give."""

from __future__ import annotations

import pytest

import nbtrack
from nbtrack.jupyter.compare import remote
from tests.liveserver import LiveServer, wait_for


@pytest.fixture
def online(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    return target


def test_server_runs_compare_like_their_local_logs(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = f"cmp-{nbtrack.util.generate_id()}"
    for lr in (0.5, 0.05):
        run = nbtrack.init(project=project, config={"lr": lr}, reinit="create_new")
        for step in range(3000):
            run.log({"loss": (step * 7919 % 1009) * lr})
        run.finish()
    local = nbtrack.compare(project=project)
    calls: list[str] = []
    views = list(nbtrack.Api(online.url, online.admin_key).runs(project))
    transport = views[0]._store.transport  # type: ignore[attr-defined]
    original = transport.call
    monkeypatch.setattr(
        transport,
        "call",
        lambda method, path, *a, **k: calls.append(path) or original(method, path, *a, **k),
    )
    served = nbtrack.compare(views)
    assert calls == [f"/projects/admin/{project}/series"]  # one query for both runs
    ids = sorted(local.series["loss"])
    assert sorted(served.series["loss"]) == ids
    for run_id in ids:
        assert served.series["loss"][run_id] == local.series["loss"][run_id]
    assert served.diff["keys"] == local.diff["keys"] == ["lr"]
    assert sorted(served.diff["rows"]) == sorted(local.diff["rows"])


def test_a_live_server_run_is_polled_with_its_cursor(online: LiveServer) -> None:
    project = f"live-{nbtrack.util.generate_id()}"
    run = nbtrack.init(project=project)
    for step in range(10):
        run.log({"loss": float(step)})
    wait_for(lambda: run.upload_status()["state"] == "synced")
    (view,) = nbtrack.Api(online.url, online.admin_key).runs(project)
    widget = nbtrack.compare([view])
    (source,) = widget._sources
    assert isinstance(source, remote.RemoteSource) and source.live
    first = source.cursor
    for step in range(10, 25):
        run.log({"loss": float(step)})
    run.finish()
    wait_for(lambda: run.upload_status()["state"] == "synced")
    wait_for(lambda: (source.project.__setattr__("polled", 0.0), source.poll())[1])
    assert source.cursor is not None and first is not None and source.cursor > first
    points = source.data.streams["loss"].points()
    assert [p[0] for p in points] == list(range(25))
