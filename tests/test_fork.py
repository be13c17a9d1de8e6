"""init(fork_from=...) and init(resume_from=...): runs that start from another run's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import errors, runlog
from nbtrack.upload.uploader import Progress
from tests.liveserver import LiveServer
from tests.server.support import BACKENDS, live_server_for


def steps(run_id: str) -> list[tuple[int, object]]:
    return [(r["_step"], r.get("x")) for r in nbtrack.Api.local().run(run_id).scan_history()]


def source_run(count: int = 10, **init: object) -> nbtrack.Run:
    run = nbtrack.init(project="branch", config={"lr": 0.1, "depth": 3}, **init)  # type: ignore[arg-type]
    for i in range(count):
        run.log({"x": i, "loss": 1 / (i + 1)})
        if i == 3:
            run.summary["best"] = "at 3"
    run.config["late"] = True
    run.summary["best"] = "at end"
    run.finish()
    return run


def test_fork_copies_history_up_to_the_step() -> None:
    source = source_run()
    fork = nbtrack.init(project="branch", fork_from=f"{source.id}?_step=5", config={"lr": 0.2})
    assert fork.id != source.id and fork.step == 6
    assert fork.summary["x"] == 5 and fork.summary["best"] == "at 3"
    assert dict(fork.config) == {"lr": 0.2, "depth": 3, "late": True}
    fork.log({"x": 100})
    fork.finish()
    assert steps(fork.id) == [(i, i) for i in range(6)] + [(6, 100)]
    assert steps(source.id) == [(i, i) for i in range(10)]  # the source is untouched
    view = nbtrack.Api.local().run(fork.id)
    assert view.metadata["fork_from"] == {"run_id": source.id, "step": 5}
    assert view.summary["x"] == 100 and view.summary["best"] == "at 3"


def test_resume_from_rewinds_the_same_run() -> None:
    source = source_run()
    log = Path(source.dir) / runlog.LOG_NAME
    before = log.read_bytes()
    run = nbtrack.init(project="branch", resume_from=f"{source.id}?_step=4")
    assert run.id == source.id and run.step == 5
    assert run.summary["x"] == 4 and run.summary["best"] == "at 3"
    assert run.config["late"] is True  # config is kept, as in wandb
    run.log({"x": 50})
    run.finish()
    assert steps(source.id) == [(i, i) for i in range(5)] + [(5, 50)]
    archived = list(Path(source.dir).glob(f"{runlog.LOG_NAME}.rewound-*"))
    assert len(archived) == 1 and archived[0].read_bytes() == before
    assert nbtrack.Api.local().run(source.id).state == "finished"


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("fork_from", "abc", "fork_from='abc' is not a run moment; use '<run_id>\\?_step=<N>'"),
        ("fork_from", "abc?_step=x", "'abc\\?_step=x' is not a run moment"),
        ("resume_from", "abc?step=1", "resume_from='abc\\?step=1' is not a run moment"),
        ("fork_from", 12, "fork_from=12 is not a run moment"),
    ],
)
def test_bad_specs_name_the_value_and_the_form(argument: str, value: object, message: str) -> None:
    with pytest.raises(errors.UsageError, match=message):
        nbtrack.init(project="branch", **{argument: value})  # type: ignore[arg-type]
    assert not Path("nbtrack").exists()


def test_missing_source_step_and_conflicts_are_clear() -> None:
    source = source_run(3)
    with pytest.raises(errors.ResumeError, match="no run 'nosuch1' under"):
        nbtrack.init(project="branch", fork_from="nosuch1?_step=1")
    with pytest.raises(errors.UsageError, match="has no step 7 \\(its last step is 2\\)"):
        nbtrack.init(project="branch", fork_from=f"{source.id}?_step=7")
    with pytest.raises(errors.UsageError, match="either resume_from= or fork_from="):
        nbtrack.init(fork_from=f"{source.id}?_step=1", resume_from=f"{source.id}?_step=1")
    with pytest.raises(errors.UsageError, match="resume= cannot be combined"):
        nbtrack.init(fork_from=f"{source.id}?_step=1", resume="allow")
    with pytest.raises(errors.UsageError, match="makes a new run"):
        nbtrack.init(project="branch", id=source.id, fork_from=f"{source.id}?_step=1")
    assert steps(source.id) == [(0, 0), (1, 1), (2, 2)]


# -- on the server, SQLite and PostgreSQL ---------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from live_server_for(request.param, tmp_path_factory.mktemp("fork-server"))


@pytest.fixture
def online(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    return server.log_here(monkeypatch)


def remote(server: LiveServer, run_id: str) -> Any:
    return nbtrack.Api(server.url, server.admin_key).run(f"admin/branch/{run_id}")


def remote_steps(server: LiveServer, run_id: str) -> list[tuple[int, object]]:
    return [(r["_step"], r.get("x")) for r in remote(server, run_id).scan_history()]


def test_online_rewind_drops_the_servers_rows_past_the_step(online: LiveServer) -> None:
    source = source_run()
    run = nbtrack.init(project="branch", resume_from=f"{source.id}?_step=6")
    run.log({"x": 70})
    run.finish()
    assert remote_steps(online, source.id) == [(i, i) for i in range(7)] + [(7, 70)]
    view = remote(online, source.id)
    assert view.summary["x"] == 70 and view.summary["best"] == "at 3"
    assert view.state == "finished" and view.config["late"] is True
    assert Progress.load(Path(source.dir)).rewind is None


def test_online_fork_and_rewind_of_a_run_only_on_the_server(
    online: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = source_run(2500)
    monkeypatch.setattr("nbtrack.runparts.fork.PAGE_ROWS", 700)
    elsewhere = tmp_path / "elsewhere"  # another machine: no local copy of the source
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    fork = nbtrack.init(project="branch", fork_from=f"{source.id}?_step=2000")
    assert fork.step == 2001 and fork.config["lr"] == 0.1
    fork.log({"x": -1})
    fork.finish()
    assert remote_steps(online, fork.id) == [(i, i) for i in range(2001)] + [(2001, -1)]
    rewound = nbtrack.init(project="branch", resume_from=f"{source.id}?_step=9")
    assert rewound.id == source.id and rewound.step == 10
    rewound.log({"x": 1000})
    rewound.finish()
    assert remote_steps(online, source.id) == [(i, i) for i in range(10)] + [(10, 1000)]
    assert remote(online, source.id).summary["x"] == 1000
