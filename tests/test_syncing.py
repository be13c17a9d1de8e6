"""``nbtrack sync``: exactly once, resumable, concurrent-safe, through kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack import credentials, syncing
from nbtrack.upload import uploader
from nbtrack.upload.transport import Transport
from tests.liveserver import (
    FaultProxy,
    LiveServer,
    ReplyFault,
    first_offset,
    history_offsets,
)


def offline_run(project: str, steps: int, **init: object) -> nbtrack.Run:
    run = nbtrack.init(project=project, mode="offline", reinit="create_new", **init)  # type: ignore[arg-type]
    for i in range(steps):
        run.log({"i": i, "sq": i * i})
    return run


def remote(server: LiveServer, path: str) -> nbtrack.api.RunView:
    return nbtrack.Api(server.url, server.admin_key).run(path)


def assert_same(server: LiveServer, path: str, run_id: str) -> None:
    there = remote(server, path)
    here = nbtrack.Api.local().run(run_id)
    assert list(there.scan_history()) == list(here.scan_history())
    assert (there.config, there.summary, there.name) == (here.config, here.summary, here.name)


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_offline_run_syncs_exactly_once(target: LiveServer) -> None:
    run = offline_run("offline-sync", 1000, config={"lr": 0.5})
    run.summary["best"] = 7
    run.finish()
    report = nbtrack.sync()
    assert report.ok and report.synced == 1 and report.records_sent > 1000
    assert report.results[0].url == f"{target.url}/admin/offline-sync/runs/{run.id}"
    assert_same(target, f"offline-sync/{run.id}", run.id)
    assert remote(target, f"offline-sync/{run.id}").state == "finished"
    again = nbtrack.sync()
    assert again.results == [] and again.synced_before == 1  # nothing left to send
    forced = nbtrack.sync(include_synced=True)
    assert forced.ok and forced.synced == 1
    assert [r["i"] for r in remote(target, f"offline-sync/{run.id}").scan_history()] == list(
        range(1000)
    )


def test_cli_sync_dry_run_redirect_and_clean(target: LiveServer) -> None:
    run = offline_run("cli-sync", 50)
    run.finish()
    dry = cli("sync", "--dry-run")
    assert "would sync" in dry.stdout and run.id in dry.stdout
    assert uploader.Progress.load(Path(run.dir)).offset == 0
    done = cli("sync", "--project", "elsewhere", run.dir)
    assert "1 run synced, " in done.stdout and f"/admin/elsewhere/runs/{run.id}" in done.stdout
    assert_same(target, f"elsewhere/{run.id}", run.id)
    again = cli("sync", "--project", "another", run.dir)  # synced already: left alone, said why
    assert "Nothing to sync: 1 run synced already (--include-synced sends" in again.stdout
    refused = cli("sync", "--clean", check=False)
    assert refused.returncode == 1 and "--yes" in refused.stderr and Path(run.dir).exists()
    cli("sync", "--clean", "--yes", "--include-synced", "--project", "elsewhere")
    assert not Path(run.dir).exists()


def test_failures_give_a_nonzero_exit_and_the_reason(target: LiveServer) -> None:
    run = offline_run("denied", 5, entity="nobody-here")
    run.finish()
    done = cli("sync", check=False)
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "nobody-here" in done.stdout
    report = nbtrack.sync()
    assert not report.ok and report.failures[0][0] == run.dir


def test_live_run_syncs_now_and_again_later(target: LiveServer) -> None:
    run = offline_run("live", 100)
    first = nbtrack.sync()
    assert first.ok and first.synced == 0 and first.results[0].sent > 0
    for i in range(100, 250):
        run.log({"i": i, "sq": i * i})
    run.finish()
    second = nbtrack.sync()
    assert second.ok and second.synced == 1
    assert_same(target, f"live/{run.id}", run.id)
    assert remote(target, f"live/{run.id}").state == "finished"


def test_crashed_run_is_synced_and_shown_crashed(target: LiveServer) -> None:
    code = (
        "import nbtrack, os\n"
        "r = nbtrack.init(project='crashed', mode='offline')\n"
        "[r.log({'i': i}) for i in range(300)]\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=os.environ.copy(), check=False)
    crashed = nbtrack.Api.local().runs("crashed")[0]
    assert crashed.state == "crashed"
    assert nbtrack.sync().synced == 1
    there = remote(target, f"crashed/{crashed.id}")
    assert there.state == "crashed" and len(list(there.scan_history())) == 300


CHILD = """
import nbtrack, threading
run = nbtrack.init(project="killed-upload")
print(run.id, flush=True)
for i in range(60000):
    run.log({"i": i, "a": i * 0.5, "b": -i})
threading.Event().wait()  # alive, uploading, until killed
"""


@pytest.mark.parametrize("where", ["request", "reply"])
def test_client_killed_mid_upload_then_sync(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The uploading process is killed at its second history request: before the request
    reaches the server, or after the server stored it but before the answer came back."""
    proxy = FaultProxy(target.port)
    monkeypatch.setenv("NBTRACK_MODE", "online")
    monkeypatch.setenv("NBTRACK_BASE_URL", proxy.url)
    try:
        with subprocess.Popen(
            [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        ) as child:
            kill = ReplyFault("/history", skip=1, where=where, then=child.kill)
            proxy.fault_replies(kill)
            assert child.stdout is not None
            run_id = child.stdout.readline().strip()
            assert child.wait(120) == -signal.SIGKILL
        (killed_at,) = map(first_offset, kill.faulted)
        path = Path(nbtrack.Api.local().run(run_id).dir or "")
        acknowledged = uploader.Progress.load(path).offset
        assert 0 < acknowledged <= killed_at < 60_000  # the killed batch was never acknowledged
        before = len(history_offsets(proxy))
        report = nbtrack.sync()
        resent = history_offsets(proxy)[before:]
    finally:
        proxy.close()
    assert report.ok and report.synced == 1
    assert resent[0] == killed_at  # resumed at the batch the kill interrupted
    assert_same(target, f"killed-upload/{run_id}", run_id)
    assert remote(target, f"killed-upload/{run_id}").state == "crashed"


@pytest.mark.parametrize("how", ["lose", "late"])
def test_sync_after_a_lost_acknowledgement_stores_each_step_once(
    target: LiveServer, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stores a batch, its answer is lost (or comes after the client's timeout):
    ``nbtrack.sync()`` sends the batch again and the server keeps every step once."""
    monkeypatch.setattr(uploader, "BATCH_RECORDS", 1000)
    monkeypatch.setattr(syncing, "Transport", lambda url, key, timeout: Transport(url, key, 2.0))
    run = offline_run(f"sync-lost-{how}", 3000)
    run.finish()
    proxy = FaultProxy(target.port)
    fault = proxy.fault_replies(ReplyFault("/history", skip=1, how=how))
    monkeypatch.setenv("NBTRACK_BASE_URL", proxy.url)
    try:
        report = nbtrack.sync()
    finally:
        proxy.close()
    assert report.ok and report.synced == 1, report
    (lost,) = map(first_offset, fault.faulted)
    assert history_offsets(proxy).count(lost) == 2  # stored, answer lost, sent again
    assert_same(target, f"sync-lost-{how}/{run.id}", run.id)


def test_sync_command_after_a_lost_acknowledgement_stores_each_step_once(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = offline_run("cli-lost-ack", 25_000)  # three batches of at most 10k records
    run.finish()
    proxy = FaultProxy(target.port)
    fault = proxy.fault_replies(ReplyFault("/history", skip=1))
    monkeypatch.setenv("NBTRACK_BASE_URL", proxy.url)
    try:
        done = cli("sync")
    finally:
        proxy.close()
    assert "synced" in done.stdout and "0 failed." in done.stdout
    (lost,) = map(first_offset, fault.faulted)
    assert history_offsets(proxy).count(lost) == 2
    assert_same(target, f"cli-lost-ack/{run.id}", run.id)


def test_two_sync_processes_at_once(target: LiveServer) -> None:
    ids = []
    for _ in range(4):
        run = offline_run("concurrent", 3000)
        run.finish()
        ids.append(run.id)
    command = [sys.executable, "-m", "nbtrack.cli", "sync"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    for run_id in ids:
        assert_same(target, f"concurrent/{run_id}", run_id)
    assert nbtrack.sync().results == []


def test_progress_file_is_written_only_after_acknowledgement(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploader, "BATCH_RECORDS", 10)
    run = offline_run("progress", 20)
    run.finish()
    path = Path(run.dir)
    saved_while_held: list[int] = []
    proxy = FaultProxy(target.port)
    held = ReplyFault(
        "/history",
        skip=1,
        then=lambda: saved_while_held.append(uploader.Progress.load(path).offset),
    )
    proxy.fault_replies(held)  # the server stores the 2nd batch; its answer never comes
    monkeypatch.setenv("NBTRACK_BASE_URL", proxy.url)
    calls: list[tuple[int, int]] = []
    try:
        nbtrack.sync(progress=lambda path, sent, total: calls.append((sent, total)))
    finally:
        proxy.close()
    (stored_unanswered,) = map(first_offset, held.faulted)
    assert saved_while_held == [calls[0][0]] and calls[0][0] <= stored_unanswered
    assert calls[-1][0] == calls[-1][1]
    saved = json.loads((path / uploader.PROGRESS_FILE).read_text())
    assert saved["offset"] == calls[-1][1] and saved["finished"] is True


@pytest.mark.parametrize("batch", [3, 10_000])
def test_summary_on_the_server_matches_the_local_one(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(uploader, "BATCH_RECORDS", batch)
    run = nbtrack.init(project="summary", mode="offline", reinit="create_new")
    run.log({"loss": 1.0, "eval": 0.5, "first_only": 3})
    for i in range(10):
        run.log({"loss": 0.9 - i / 100})
    run.summary["loss"] = 123.0  # explicit, later than the rows above
    run.log({"other": 1})
    run.summary["eval"] = 7.0
    run.log({"eval": 0.6, "nan": float("nan")})
    run.finish()
    assert nbtrack.sync().ok
    there, here = remote(target, f"summary/{run.id}"), nbtrack.Api.local().run(run.id)
    assert here.summary["loss"] == 123.0 and here.summary["eval"] == 0.6
    assert {k: v for k, v in there.summary.items() if k != "nan"} == {
        k: v for k, v in here.summary.items() if k != "nan"
    }
    assert str(there.summary["nan"]) == "nan"
    assert list(there.scan_history())[-1]["eval"] == 0.6


def test_a_synced_offline_run_learns_its_page(target: LiveServer) -> None:
    run = offline_run("learns-url", 5)
    run.finish()
    assert run.url is None and run.upload_status()["state"] == "offline"
    nbtrack.sync()
    assert run.upload_status()["state"] == "synced"
    assert run.url == f"{target.url}/admin/learns-url/runs/{run.id}"


def test_online_and_synced_offline_runs_read_back_alike(target: LiveServer) -> None:
    def log_the_same(mode: str) -> str:
        run = nbtrack.init(
            project="alike", mode=mode, config={"lr": 0.1}, tags=["a"], reinit="create_new"
        )
        for i in range(300):
            run.log({"i": i, "nested": {"x": i / 3}, "nan": float("nan") if i == 7 else i})
        run.summary["best"] = 299
        run.finish()
        return run.id

    online_id, offline_id = log_the_same("online"), log_the_same("offline")
    assert nbtrack.sync().ok
    clock = ("_runtime", "_timestamp")

    def readable(run_id: str) -> dict[str, object]:
        view = remote(target, f"alike/{run_id}")
        rows = [{k: repr(v) for k, v in r.items() if k not in clock} for r in view.scan_history()]
        summary = {k: repr(v) for k, v in view.summary.items() if k not in clock}
        return {
            "rows": rows,
            "summary": summary,
            "config": view.config,
            "state": view.state,
            "tags": view.tags,
            "metadata": sorted(view.metadata),
        }

    assert readable(online_id) == readable(offline_id)


def test_sync_takes_the_entity_from_the_key_used(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials.store(target.url, target.admin_key, "admin")  # as a loopback server does
    alice = "alice-" + os.urandom(3).hex()
    monkeypatch.setenv("NBTRACK_API_KEY", target.new_user(alice))
    run = offline_run("keyed", 5)
    run.finish()
    done = cli("sync")
    assert f"/{alice}/keyed/runs/{run.id}" in done.stdout
    assert len(list(remote(target, f"{alice}/keyed/{run.id}").scan_history())) == 5


def test_clean_deletes_every_run_the_server_holds_and_relinks_latest(target: LiveServer) -> None:
    live = offline_run("clean", 3)  # still running: never deleted
    earlier = offline_run("clean", 5)
    earlier.finish()
    cli("sync")  # synced before the clean
    now = offline_run("clean", 5)
    now.finish()
    latest = Path.cwd() / "nbtrack" / "latest-run"
    assert latest.resolve() == Path(now.dir)
    done = cli("sync", "--clean", "--yes")
    assert f"deleted {earlier.dir}\n" in done.stdout and f"deleted {now.dir}\n" in done.stdout
    assert "2 runs deleted" in done.stdout
    assert not Path(earlier.dir).exists() and not Path(now.dir).exists()
    assert latest.resolve() == Path(live.dir)  # the newest run left, not a dangling link
    live.finish()
    done = cli("sync", "--clean", "--yes")
    assert f"deleted {live.dir}\n" in done.stdout and "1 run deleted" in done.stdout
    assert not latest.is_symlink() and not list((Path.cwd() / "nbtrack").iterdir())


def test_clean_keeps_runs_another_server_holds(target: LiveServer) -> None:
    run = offline_run("elsewhere-held", 3)
    run.finish()
    cli("sync")
    progress = uploader.Progress.load(Path(run.dir))
    progress.base_url = "http://127.0.0.1:9"  # as if synced to another server
    progress.save(Path(run.dir))
    done = cli("sync", "--clean", "--yes")
    assert Path(run.dir).exists() and "deleted" not in done.stdout


def test_a_path_that_does_not_exist_is_an_error(target: LiveServer) -> None:
    done = cli("sync", "/does/not/exist", check=False)
    assert done.returncode == 2
    assert "nbtrack sync: /does/not/exist does not exist" in done.stderr
    assert "Nothing to sync" not in done.stdout


def test_each_run_has_its_own_progress_bar(target: LiveServer) -> None:
    runs = [offline_run("bars", steps) for steps in (30, 40)]
    for run in runs:
        run.finish()
    command = [sys.executable, "-m", "nbtrack.cli", "sync"]
    done = subprocess.run(command, capture_output=True, check=True)  # bytes: "\r" kept
    stderr, stdout = done.stderr.decode(), done.stdout.decode()
    shown = [line.split("\r")[-1] for line in stderr.split("\n")]  # what stays on screen
    for run in runs:
        bars = [line for line in shown if Path(run.dir).name in line]
        assert len(bars) == 1, stderr
        total = uploader.Progress.load(Path(run.dir)).offset
        assert "100%" in bars[0] and f"{total}/{total}" in bars[0], stderr
    assert "2 runs synced, " in stdout and " records sent, 0 failed." in stdout
