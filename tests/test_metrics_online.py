"""define_metric online: the definitions, aggregated summaries and removed keys reach the server,
and the run page's charts get the step metric as x-axis."""

from __future__ import annotations

import pytest

import nbtrack
from tests.liveserver import LiveServer


def test_definitions_reach_the_server_and_set_chart_axes(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    run = nbtrack.init(project="axes")
    run.define_metric("epoch", hidden=True)
    run.define_metric("val/*", step_metric="epoch", summary="min")
    run.define_metric("gone", summary="none")
    for step in range(6):
        run.log({"val/loss": 1 / (step + 1), "train/loss": 2 / (step + 1), "gone": step})
        if step % 2:
            run.log({"epoch": step // 2 + 1})
    run.summary["note"] = "x"
    del run.summary["note"]
    run.finish()
    stored = target.api("GET", f"/runs/admin/axes/{run.id}")
    assert stored["metrics"]["val/*"]["step_metric"] == "epoch"
    assert stored["metrics"]["epoch"]["hidden"] is True
    assert stored["summary"]["val/loss"] == {"min": 1 / 6}
    assert stored["summary"]["train/loss"] == 2 / 6
    assert "gone" not in stored["summary"] and "note" not in stored["summary"]
    session = target.web_session()
    live = session.get(f"{target.url}/admin/axes/runs/{run.id}/live").json()
    assert live["axes"] == {"val/loss": "epoch"}
    assert live["hidden"] == ["epoch"]
    assert set(live["series"]) >= {"val/loss", "train/loss", "epoch"}


def test_a_run_without_definitions_has_none(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    run = nbtrack.init(project="axes")
    run.log({"loss": 1.0})
    run.finish()
    assert target.api("GET", f"/runs/admin/axes/{run.id}")["metrics"] == {}
    live = target.web_session().get(f"{target.url}/admin/axes/runs/{run.id}/live").json()
    assert live["axes"] == {} and live["hidden"] == []
