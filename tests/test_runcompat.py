"""wandb's Run attributes and module helpers: path, links, preempting, errors, login, require."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import nbtrack
from nbtrack import credentials, errors, runstate
from tests.liveserver import LiveServer


def test_run_attributes_as_in_wandb() -> None:
    before = time.time()
    run = nbtrack.init(project="attrs", entity="team")
    assert run.path == f"team/attrs/{run.id}" and Path(run.dir).is_dir()
    assert run.resumed is False and run.sweep_id is None
    assert before <= run.start_time <= time.time()
    assert run.project_name() == "attrs"
    assert run.get_url() is None and run.get_project_url() is None  # offline
    assert run.step == 0
    run.log({"a": 1})
    run.log({"a": 2}, step=5)
    assert run.step == 5
    run.log({"a": 3})
    assert run.step == 6  # the call without step= joined step 5 and committed it
    html = run.to_html(height=300)
    assert run.name in html and run.id in html and "max-height:300px" in html
    assert run.to_html(hidden=True) == ""
    assert run.display() is False  # no IPython here
    run.finish()
    again = nbtrack.init(project="attrs", entity="team", id=run.id, resume="allow")
    assert again.resumed is True and again.path == run.path
    again.finish()


def test_mark_preempting_is_recorded_and_shown_until_the_run_ends() -> None:
    run = nbtrack.init(project="p")
    run.mark_preempting()
    assert run.state == "preempting"
    assert "preempting" in run.to_html() and "#9a6700" in run.to_html()
    path = Path(run.dir)
    assert runstate.state_of(path) == "preempting"
    assert runstate.replay(path).state == "preempting"
    assert json.loads((path / "run.json").read_text())["state"] == "preempting"
    run.finish()
    assert run.state == "finished" and runstate.state_of(path) == "finished"
    assert runstate.replay(path).state == "finished"


def test_a_preempted_run_that_dies_reads_as_crashed(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import os, nbtrack\n"
        "run = nbtrack.init(project='p', mode='offline')\n"
        "run.mark_preempting()\n"
        "print(run.dir, flush=True)\n"
        "os._exit(1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    path = Path(out.stdout.strip())
    assert runstate.state_of(path) == "crashed" and runstate.replay(path).state == "crashed"


def test_online_links(target: LiveServer) -> None:
    run = nbtrack.init(project="linked", mode="online")
    assert run.get_url() == f"{target.url}/admin/linked/runs/{run.id}"
    assert run.get_project_url() == f"{target.url}/admin/linked"
    assert run.path == f"admin/linked/{run.id}"
    run.finish()


def test_every_nbtrack_error_is_an_nbtrack_error() -> None:
    assert nbtrack.Error is errors.NbtrackError is errors.Error
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), nbtrack.Error), name
    assert issubclass(errors.CommError, nbtrack.Error)
    assert issubclass(errors.UsageError, ValueError)


def test_term_helpers_print_prefixed_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTRACK_SILENT")
    nbtrack.termlog("hello")
    nbtrack.termwarn("careful")
    nbtrack.termerror("broken\nsecond line")
    nbtrack.termlog("once", repeat=False)
    nbtrack.termlog("once", repeat=False)
    nbtrack.termlog("bare", prefix=False)
    assert capsys.readouterr().err.splitlines() == [
        "nbtrack: hello",
        "nbtrack: WARNING careful",
        "nbtrack: ERROR broken",
        "nbtrack: ERROR second line",
        "nbtrack: once",
        "bare",
    ]
    monkeypatch.setenv("NBTRACK_SILENT", "1")
    nbtrack.termlog("quiet")
    assert capsys.readouterr().err == ""


def test_generate_id_and_require() -> None:
    first, second = nbtrack.util.generate_id(), nbtrack.util.generate_id(12)
    assert len(first) == 8 and len(second) == 12 and first.isalnum() and first.islower()
    nbtrack.require("core")
    nbtrack.require(["service", "core@beta"])
    nbtrack.require(experiment="service")
    nbtrack.require()
    with pytest.raises(errors.UnsupportedError, match="unknown feature 'teleport'"):
        nbtrack.require("teleport")


def test_login_returns_a_bool_and_never_raises_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nbtrack.login() is False  # NBTRACK_MODE=offline in tests
    assert nbtrack.login(key="nbt_anything", verify=True) is False
    assert credentials.load_all() == {}


def test_login_online(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    monkeypatch.delenv("NBTRACK_API_KEY")
    assert nbtrack.login(key=target.admin_key, host=target.url, verify=True) is True
    assert credentials.load(target.url) == {"api_key": target.admin_key, "entity": "admin"}
    assert nbtrack.login(host=target.url) is True  # the stored key counts
    assert nbtrack.login(key="nbt_unchecked", host=target.url, relogin=True) is True
    with pytest.raises(errors.NotLoggedIn):
        nbtrack.login(host=target.url, verify=True)
    run = nbtrack.init(project="p", mode="offline")
    assert nbtrack.login(key=target.admin_key, host=target.url) is False  # a run is live
    run.finish()
