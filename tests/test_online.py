"""Online runs against a real server: init checks, background upload, faults, read-back."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack import credentials, errors
from tests.liveserver import (
    FaultProxy,
    LiveServer,
    ReplyFault,
    first_offset,
    free_port,
    history_offsets,
    wait_for,
)


@pytest.fixture
def online(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    return target


def server_rows(run: nbtrack.Run | str, base_url: str, key: str) -> list[dict[str, object]]:
    path = run if isinstance(run, str) else f"{run.entity}/{run.project}/{run.id}"
    return list(nbtrack.Api(base_url, key).run(path).scan_history())


def local_rows(run_id: str) -> list[dict[str, object]]:
    return list(nbtrack.Api.local().run(run_id).scan_history())


def test_online_run_uploads_everything(online: LiveServer) -> None:
    run = nbtrack.init(project="online", config={"lr": 0.1}, tags=["t1"])
    assert run.url == f"{online.url}/admin/online/runs/{run.id}"
    for i in range(3000):
        run.log({"i": i, "loss": 1 / (i + 1), "nested": {"a": i}})
    run.summary["best"] = 42
    run.finish()
    assert run.upload_status()["state"] == "synced"
    remote = nbtrack.Api(online.url, online.admin_key).run(f"admin/online/{run.id}")
    local = nbtrack.Api.local().run(run.id)
    assert list(remote.scan_history()) == list(local.scan_history())
    assert (remote.config, remote.summary, remote.state) == (
        local.config,
        local.summary,
        "finished",
    )
    assert remote.tags == ["t1"] and remote.name == run.name
    assert remote.metadata["git"] == local.metadata["git"]


def test_status_while_running_counts_records(online: LiveServer) -> None:
    run = nbtrack.init(project="online")
    for i in range(100):
        run.log({"i": i})
    status = wait_for(lambda: run.upload_status()["state"] == "synced" and run.upload_status())
    assert status["uploaded"] == status["total"] > 100
    run.finish()


def test_remote_api_pages_long_histories(online: LiveServer) -> None:
    run = nbtrack.init(project="paged")
    for i in range(2500):
        run.log({"i": i})
    run.finish()
    api = nbtrack.Api(online.url, online.admin_key)
    rows = list(api.run(f"paged/{run.id}").scan_history(page_size=700))  # 4 requests
    assert [r["i"] for r in rows] == list(range(2500))
    assert [r["i"] for r in api.run(f"admin/paged/{run.id}").scan_history(min_step=2400)] == list(
        range(2400, 2500)
    )
    assert [r.id for r in api.runs("paged")] == [run.id]


def test_no_key_is_not_logged_in(online: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBTRACK_API_KEY")
    with pytest.raises(errors.NotLoggedIn, match="nbtrack login") as caught:
        nbtrack.init(project="p")
    assert isinstance(caught.value, errors.LaunchError)
    assert not (Path.cwd() / "nbtrack").exists()  # a refused run leaves nothing behind


def test_bad_key_is_not_logged_in(online: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_API_KEY", "nbt_wrong_key_123")
    monkeypatch.setenv("NBTRACK_ENTITY", "admin")
    with pytest.raises(errors.NotLoggedIn, match="nbtrack login") as caught:
        nbtrack.init(project="p")
    assert "nbt_wrong_key_123" not in str(caught.value)


def test_missing_entity(online: LiveServer) -> None:
    with pytest.raises(errors.EntityNotFound, match="no-such-team"):
        nbtrack.init(project="p", entity="no-such-team")


def test_no_permission_on_anothers_project(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = online.new_user("bob-" + os.urandom(3).hex())
    monkeypatch.setenv("NBTRACK_API_KEY", key)
    with pytest.raises(errors.PermissionDenied, match="admin") as caught:
        nbtrack.init(project="secret", entity="admin")
    assert isinstance(caught.value, errors.LaunchError)


def test_the_key_used_decides_the_entity(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin key stored by a loopback server must not lend its entity to another key."""
    credentials.store(online.url, online.admin_key, "admin")
    alice = "alice-" + os.urandom(3).hex()
    monkeypatch.setenv("NBTRACK_API_KEY", online.new_user(alice))
    run = nbtrack.init(project="mine")
    run.log({"a": 1})
    run.finish()
    assert run.entity == alice and run.url == f"{online.url}/{alice}/mine/runs/{run.id}"
    assert run.upload_status()["state"] == "synced"
    assert [view.id for view in nbtrack.Api().runs("mine")] == [run.id]  # alice's, read back
    monkeypatch.delenv("NBTRACK_API_KEY")  # the stored key (admin's) and its entity again
    assert nbtrack.init(project="mine", reinit="create_new").entity == "admin"


SCRIPT = "import nbtrack\nrun = nbtrack.init(project='script')\nprint(run.name, run.url)\n"


@pytest.mark.parametrize("silent", ["false", "true"])
def test_a_script_says_where_its_run_is(online: LiveServer, silent: str) -> None:
    env = {**os.environ, "NBTRACK_SILENT": silent}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    name, url = done.stdout.split()
    assert url.startswith(f"{online.url}/admin/script/runs/")
    expected = [] if silent == "true" else [f"nbtrack: Run {name}: {url}"]
    assert done.stderr.splitlines() == expected


def test_unreachable_server_logs_locally_then_catches_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    port = free_port()
    late = LiveServer(tmp_path / "late", port)
    (tmp_path / "late").mkdir()
    settings = {"base_url": late.url, "api_key": late.admin_key, "entity": "admin"}
    run = nbtrack.init(project="late", mode="online", settings=settings)
    assert "Cannot reach the nbtrack server" in capsys.readouterr().err
    for i in range(500):
        run.log({"i": i})
    assert run.upload_status()["uploaded"] == 0
    late.start()
    try:
        wait_for(lambda: run.upload_status()["state"] == "synced", 60, "the upload to catch up")
        run.finish()
        assert server_rows(run, late.url, late.admin_key) == local_rows(run.id)
    finally:
        late.stop()


def test_server_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "restart")
    (tmp_path / "restart").mkdir()
    live.start()
    settings = {"base_url": live.url, "api_key": live.admin_key}
    run = nbtrack.init(project="restart", mode="online", settings=settings)
    try:
        for i in range(1000):
            run.log({"i": i})
        wait_for(lambda: run.upload_status()["uploaded"] > 0, 30, "a first upload")
        live.kill()
        for i in range(1000, 2000):
            run.log({"i": i})
        live.start()
        for i in range(2000, 3000):
            run.log({"i": i})
        run.finish()
        assert run.upload_status()["state"] == "synced"
        rows = server_rows(run, live.url, live.admin_key)
        assert [r["i"] for r in rows] == list(range(3000))
        assert rows == local_rows(run.id)
    finally:
        live.stop()


@pytest.mark.parametrize("fault", ["drop", "stall", "http500", "http503"])
def test_faulty_network_loses_and_doubles_nothing(
    online: LiveServer, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nbtrack.upload.transport.CONNECT_TIMEOUT", 0.5)
    with FaultProxy(online.port) as proxy:
        settings = {"base_url": proxy.url, "finish_timeout": 30.0}
        run = nbtrack.init(project=f"fault-{fault}", settings=settings)
        run._upload.uploader.transport.timeout = 1.0  # type: ignore[union-attr]
        for i in range(800):
            run.log({"i": i})
        proxy.set(fault)
        for i in range(800, 1600):
            run.log({"i": i})
        wait_for(lambda: run.upload_status()["state"] == "error", 30, "the fault to be seen")
        proxy.set("pass")
        for i in range(1600, 2000):
            run.log({"i": i})
        run.finish()
        rows = server_rows(f"admin/fault-{fault}/{run.id}", online.url, online.admin_key)
        assert [r["i"] for r in rows] == list(range(2000))
        assert rows == local_rows(run.id)


def all_uploaded(run: nbtrack.Run) -> bool:
    status = run.upload_status()
    return bool(status["uploaded"] == status["total"])


@pytest.mark.parametrize("how", ["lose", "late"])
def test_lost_acknowledgement_is_sent_again_and_stored_once(
    online: LiveServer, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stores a history batch but its answer is lost (or comes after the client's
    timeout): the uploader sends the batch again and the server keeps every step once."""
    with FaultProxy(online.port) as proxy:
        fault = proxy.fault_replies(ReplyFault("/history", skip=1, count=2, how=how))
        settings = {"base_url": proxy.url, "finish_timeout": 60.0}
        run = nbtrack.init(project=f"lost-ack-{how}", settings=settings)
        run._upload.uploader.transport.timeout = 2.0  # type: ignore[union-attr]
        for i in range(3000):
            run.log({"i": i})
            if i % 1000 == 999:  # three batches, each sent on its own
                wait_for(lambda: all_uploaded(run), 60, "the batch to be acknowledged")
        wait_for(lambda: len(fault.faulted) == 2, 30, "two answers withheld")
        run.finish()
        assert run.upload_status()["state"] == "synced"
        sent = history_offsets(proxy)
        for lost in map(first_offset, fault.faulted):
            assert sent.count(lost) >= 2, (lost, sent)  # stored, then sent again
        rows = server_rows(f"admin/lost-ack-{how}/{run.id}", online.url, online.admin_key)
        assert [r["i"] for r in rows] == list(range(3000))
        assert rows == local_rows(run.id)


def test_revoked_key_mid_run_keeps_local_data(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    name = "carol-" + os.urandom(3).hex()
    created = online.api("POST", "/admin/users", json={"username": name})
    monkeypatch.setenv("NBTRACK_API_KEY", created["api_key"])
    run = nbtrack.init(project="revoked", entity=name)
    run.log({"i": 0})
    wait_for(lambda: run.upload_status()["state"] == "synced")
    online.api("DELETE", f"/keys/{created['key_id']}")
    for i in range(1, 200):
        run.log({"i": i})
    status = wait_for(lambda: run.upload_status()["state"] == "error" and run.upload_status())
    assert "nbtrack login" in status["error"]
    run.finish()
    err = capsys.readouterr().err
    assert "not uploaded yet" in err and "nbtrack sync" in err
    assert created["api_key"] not in err
    assert [r["i"] for r in local_rows(run.id)] == list(range(200))


def test_login_verifies_and_stores_the_key(online: LiveServer) -> None:
    assert nbtrack.login(online.admin_key, host=online.url, verify=True) is True
    path = credentials.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.load(online.url) == {"api_key": online.admin_key, "entity": "admin"}
    with pytest.raises(errors.NotLoggedIn, match="does not accept this API key"):
        nbtrack.login("nbt_bad", host=online.url, verify=True)
    assert nbtrack.logout(online.url) is True
    assert credentials.load(online.url) is None


def test_stored_credentials_are_used_by_init(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTRACK_API_KEY")
    nbtrack.login(online.admin_key, host=online.url)
    run = nbtrack.init(project="stored")
    run.log({"a": 1})
    run.finish()
    assert run.entity == "admin" and run.upload_status()["state"] == "synced"
    for path in Path(run.dir).rglob("*"):
        if path.is_file():
            assert online.admin_key.encode() not in path.read_bytes(), path


def test_stalled_server_at_init_costs_at_most_the_timeout(
    online: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    with FaultProxy(online.port) as proxy:
        proxy.set("stall")
        settings = {"base_url": proxy.url, "init_timeout": 1.0, "entity": "admin"}
        started = time.monotonic()
        run = nbtrack.init(project="stalled-init", settings=settings)
        assert time.monotonic() - started < 5
        run.log({"i": 1})
        assert run.url is None and run.upload_status()["uploaded"] == 0
        proxy.set("pass")
        run.finish()
        rows = server_rows(f"admin/stalled-init/{run.id}", online.url, online.admin_key)
        assert rows == local_rows(run.id)


def test_finish_says_what_is_left_unless_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = {"base_url": nowhere, "api_key": "nbt_k", "entity": "me", "finish_timeout": 0.3}
    capsys.readouterr()
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    for quiet in (True, False):
        run = nbtrack.init(project="left", mode="online", settings=settings, reinit="create_new")
        run.log({"a": 1})
        capsys.readouterr()
        run.finish(quiet=quiet)
        said = capsys.readouterr().err
        assert ("not uploaded yet" in said) is not quiet, said
