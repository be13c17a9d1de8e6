"""run.alert(): recorded in the run log, rate-limited per title, uploaded, posted to a webhook."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import nbtrack
from nbtrack import runlog
from nbtrack.jupyter import card as cards
from tests.liveserver import LiveServer, wait_for
from tests.webhook import Receiver


def alert_records(run: nbtrack.Run) -> list[dict[str, object]]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == "alert"]


def test_alert_is_recorded_with_its_level() -> None:
    run = nbtrack.init(project="alerts")
    nbtrack.alert("Loss is NaN", "at step 12", level=nbtrack.AlertLevel.ERROR)
    run.alert(title="Done", text="all good")  # default level INFO, as in wandb
    run.alert("Slow", "epoch took 2h", level="warn")
    run.finish()
    found = alert_records(run)
    assert [(a["title"], a["text"], a["level"]) for a in found] == [
        ("Loss is NaN", "at step 12", "ERROR"),
        ("Done", "all good", "INFO"),
        ("Slow", "epoch took 2h", "WARN"),
    ]
    assert nbtrack.AlertLevel.WARN.value == "WARN"


def test_wait_duration_limits_per_title() -> None:
    run = nbtrack.init(project="alerts")
    for _ in range(5):
        run.alert("A", "first A wins", wait_duration=timedelta(minutes=5))
    run.alert("B", "other titles are not held back", wait_duration=300)
    run.alert("A", "still within the default minute")
    for _ in range(3):
        run.alert("C", "no wait", wait_duration=0)
    run.finish()
    assert [(a["title"], a["text"]) for a in alert_records(run)] == [
        ("A", "first A wins"),
        ("B", "other titles are not held back"),
        ("C", "no wait"),
        ("C", "no wait"),
        ("C", "no wait"),
    ]


def test_bad_alerts_are_named() -> None:
    run = nbtrack.init(project="alerts")
    with pytest.raises(ValueError, match="level='LOUD' is not an alert level"):
        run.alert("t", "x", level="LOUD")
    with pytest.raises(TypeError, match="wait_duration='soon'"):
        run.alert("t", "x", wait_duration="soon")
    with pytest.raises(ValueError, match="0 or more seconds"):
        run.alert("t", "x", wait_duration=-1)
    with pytest.raises(TypeError, match="title must be a non-empty string"):
        run.alert("", "x")
    run.finish()
    assert alert_records(run) == []
    with pytest.raises(nbtrack.errors.NotInitialized, match=r"nbtrack\.alert"):
        nbtrack.alert("t", "x")


def test_widget_card_shows_alerts() -> None:
    run = nbtrack.init(project="alerts")
    run.alert("Diverging", "loss <b>up</b>", level=nbtrack.AlertLevel.WARN)
    html = cards.to_html(cards.snapshot(run, cards.RecentMetrics(), uploads=False))
    assert 'class="nbtrack-alert nbtrack-alert-warn"' in html
    assert "Diverging" in html and "loss &lt;b&gt;up&lt;/b&gt;" in html
    run.finish()


def test_alerts_reach_the_run_page_and_the_webhook(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    target.api("PUT", "/entities/admin/webhook", json={"url": receiver.url})
    monkeypatch.setenv("NBTRACK_MODE", "online")
    run = nbtrack.init(project="alerts-online")
    run.log({"loss": float("nan")})
    run.alert("Loss is NaN", "step 0", level=nbtrack.AlertLevel.ERROR)
    run.finish()
    path = f"/runs/admin/alerts-online/{run.id}"
    stored = target.api("GET", f"{path}/alerts")["alerts"]
    assert [(a["title"], a["text"], a["level"]) for a in stored] == [
        ("Loss is NaN", "step 0", "ERROR")
    ]
    wait_for(lambda: receiver.bodies, 10, "the webhook post")
    text = str(receiver.bodies[0]["text"])
    assert text.startswith("[ERROR] Loss is NaN\nstep 0\n")
    assert f"/admin/alerts-online/runs/{run.id}" in text
    page = target.web_session().get(f"{target.url}/admin/alerts-online/runs/{run.id}")
    assert 'id="alerts"' in page.text and "Loss is NaN" in page.text
    nbtrack.sync(paths=[str(Path(run.dir))], include_synced=True)  # a re-send posts nothing twice
    assert len(target.api("GET", f"{path}/alerts")["alerts"]) == 1
    assert len(receiver.bodies) == 1
    target.api("DELETE", "/entities/admin/webhook")


def test_admin_cli_sets_the_webhook(tmp_path: Path) -> None:
    from nbtrack.cli import main

    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["admin", *data, "user", "ada"]) == 0
    assert main(["admin", *data, "webhook", "ada", "http://127.0.0.1:9/x"]) == 0
    assert main(["admin", *data, "webhook", "ada", "ftp://x"]) == 1
    assert main(["admin", *data, "webhook", "ada", "--remove"]) == 0
