"""``nbtrack.Api()`` and ``nbtrack.Api.local()`` read the same runs alike: filters, orders, sampled
history, full scans, edits, deletion, files and projects, against a real server on SQLite and
PostgreSQL."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack.api import LocalApi
from tests.server.support import Server, uvicorn_server


@pytest.fixture(scope="module")
def live(
    backend: str, database_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from uvicorn_server(backend, tmp_path_factory.mktemp("readback"), database_url)


@pytest.fixture
def online(live: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("NBTRACK_MODE", "online")
    monkeypatch.setenv("NBTRACK_BASE_URL", live.base_url)
    monkeypatch.setenv("NBTRACK_API_KEY", live.admin_key)
    return live


def both(live: Server) -> tuple[LocalApi, nbtrack.Api]:
    return nbtrack.Api.local(), nbtrack.Api(live.base_url, live.admin_key)


def logged(project: str, **init: Any) -> nbtrack.Run:
    run = nbtrack.init(project=project, reinit="create_new", **init)
    for step in range(30):
        run.log({"loss": 1 / (step + 1)})
    return run


@pytest.fixture
def four_runs(online: Server) -> str:
    project = f"rb{uuid.uuid4().hex[:8]}"
    a = logged(project, name="alpha-1", config={"lr": 0.1, "opt": "adam"}, tags=["a", "b"])
    a.summary["acc"] = 0.9
    a.finish()
    b = logged(project, name="beta-2", config={"lr": 0.01, "opt": "sgd"}, tags=["b"], group="g")
    b.summary["acc"] = 0.7
    b.finish(exit_code=1)
    c = logged(project, name="alpha-3", config={"lr": 0.5}, job_type="eval")
    c.finish()
    d = logged(project, name="delta", config={"lr": 0.2, "opt": "adam"}, tags=["c"])
    d.summary["acc"] = 0.8
    d.finish()
    return project


READS = [
    ({"config.lr": {"$gte": 0.1}}, "+created_at", ["alpha-1", "alpha-3", "delta"]),
    ({"config.opt": "adam"}, "-summary_metrics.acc", ["alpha-1", "delta"]),
    (
        {"$or": [{"tags": "b"}, {"job_type": "eval"}]},
        "-created_at",
        ["alpha-3", "beta-2", "alpha-1"],
    ),
    ({"state": "failed"}, None, ["beta-2"]),
    ({"display_name": {"$regex": "^alpha"}, "group": None}, "+config.lr", ["alpha-1", "alpha-3"]),
    ({"summary_metrics.acc": {"$exists": False}}, None, ["alpha-3"]),
    ({"config.opt": {"$nin": ["sgd"]}, "tags": {"$ne": "c"}}, "-config.lr", ["alpha-3", "alpha-1"]),
    (None, "+summary_metrics.acc", ["beta-2", "delta", "alpha-1", "alpha-3"]),
    (None, None, ["alpha-1", "beta-2", "alpha-3", "delta"]),  # wandb's default: oldest first
]


@pytest.mark.parametrize(("filters", "order", "names"), READS)
def test_runs_filter_and_order_alike_locally_and_on_the_server(
    online: Server, four_runs: str, filters: Any, order: Any, names: list[str]
) -> None:
    local, remote = both(online)
    kw = {"order": order} if order else {}
    assert [r.name for r in local.runs(four_runs, filters=filters, **kw)] == names
    found = remote.runs(f"admin/{four_runs}", filters=filters, per_page=2, **kw)
    assert len(found) == len(names) and [r.name for r in found] == names


def test_unknown_operators_and_fields_raise_value_error_naming_them(
    online: Server, four_runs: str
) -> None:
    for api in both(online):
        path = f"admin/{four_runs}" if isinstance(api, nbtrack.Api) else four_runs
        with pytest.raises(ValueError, match=r"\$near"):
            api.runs(path, filters={"config.lr": {"$near": 1}})
        with pytest.raises(ValueError, match="colour"):
            api.runs(path, filters={"colour": "red"})
        with pytest.raises(ValueError, match="bogus"):
            api.runs(path, order="-bogus")


@pytest.fixture
def long_run(online: Server) -> nbtrack.Run:
    run = nbtrack.init(project=f"hist{uuid.uuid4().hex[:8]}", reinit="create_new")
    for step in range(2000):
        run.log({"loss": 1 / (step + 1), **({"val": step / 10} if step % 10 == 0 else {})})
    run.finish()
    return run


def test_history_is_a_sampled_dataframe_and_scan_history_every_row(
    online: Server, long_run: nbtrack.Run
) -> None:
    local, remote = both(online)
    here = local.run(long_run.id)
    there = remote.run(f"admin/{long_run.project}/{long_run.id}")
    for view in (here, there):
        frame = view.history()
        assert len(frame) == 500 and frame["_step"].iloc[0] == 0 and frame["_step"].iloc[-1] == 1999
        assert frame["_step"].is_monotonic_increasing
        rows = view.history(samples=50, keys=["val"], pandas=False)
        assert len(rows) == 50 and set(rows[0]) == {"_step", "val"} and rows[-1]["_step"] == 1990
        assert len(view.history(samples=5000, pandas=False)) == 2000
        assert [r["_step"] for r in view.scan_history(min_step=10, max_step=20)] == list(
            range(10, 20)
        )
        vals = list(view.scan_history(keys=["val"], page_size=7))
        assert len(vals) == 200 and set(vals[0]) == {"val"}
        assert len(list(view.scan_history(page_size=333))) == 2000
    assert here.history(pandas=False) == there.history(pandas=False)


def test_history_without_pandas_names_the_extra(
    online: Server, long_run: nbtrack.Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"nbtrack\[pandas\]"):
        nbtrack.Api.local().run(long_run.id).history()
    assert len(nbtrack.Api.local().run(long_run.id).history(pandas=False)) == 500


@pytest.mark.parametrize("where", ["local", "server"])
def test_update_persists_fields_config_and_summary(
    online: Server, four_runs: str, where: str
) -> None:
    local, remote = both(online)
    api: Any = local if where == "local" else remote
    path = four_runs if where == "local" else f"admin/{four_runs}"
    (run,) = api.runs(path, filters={"display_name": "delta"})
    run.name, run.notes, run.tags = "delta-renamed", "checked", ["c", "kept"]
    run.config["lr"] = 0.25
    run.summary["acc"] = 0.85
    run.update()
    (again,) = api.runs(path, filters={"tags": "kept"})
    assert (again.id, again.name, again.notes, again.tags) == (
        run.id,
        "delta-renamed",
        "checked",
        ["c", "kept"],
    )
    assert again.config["lr"] == 0.25 and again.summary["acc"] == 0.85
    assert again.state == "finished"
    assert [r.id for r in api.runs(path, filters={"config.lr": 0.25})] == [run.id]


def test_server_update_removes_keys_and_local_update_refuses_to(
    online: Server, four_runs: str
) -> None:
    local, remote = both(online)
    (there,) = remote.runs(f"admin/{four_runs}", filters={"display_name": "beta-2"})
    del there.config["opt"]
    there.update()
    assert "opt" not in remote.run(there.path).config
    (here,) = local.runs(four_runs, filters={"display_name": "beta-2"})
    del here.config["opt"]
    with pytest.raises(ValueError, match="opt"):
        here.update()


def test_delete_removes_the_run(online: Server, four_runs: str) -> None:
    local, remote = both(online)
    (there,) = remote.runs(f"admin/{four_runs}", filters={"display_name": "alpha-3"})
    there.delete()
    assert [r.name for r in remote.runs(f"admin/{four_runs}")] == ["alpha-1", "beta-2", "delta"]
    with pytest.raises(nbtrack.errors.CommError, match="not found"):
        remote.run(there.path)
    (here,) = local.runs(four_runs, filters={"display_name": "alpha-3"})
    here.delete()
    assert not Path(here.dir or "").exists()
    assert len(local.runs(four_runs)) == 3


def test_files_list_and_download(online: Server, tmp_path: Path) -> None:
    run = nbtrack.init(project=f"files{uuid.uuid4().hex[:8]}", reinit="create_new")
    (Path(run.dir) / "files" / "notes.txt").write_text("hello\n")
    run.finish()
    online.ok(
        "PUT",
        f"/runs/admin/{run.project}/{run.id}/files/sub/model.txt",
        online.admin_key,
        content=b"weights\n",
    )
    local, remote = both(online)
    here, there = local.run(run.id), remote.run(f"admin/{run.project}/{run.id}")
    assert "notes.txt" in [f.name for f in here.files()]
    with here.file("notes.txt").download(tmp_path / "a") as got:
        assert got.read() == "hello\n"
    with there.file("sub/model.txt").download(tmp_path / "b") as got:
        assert got.read() == "weights\n"
    with pytest.raises(ValueError, match="replace=True"):
        there.file("sub/model.txt").download(tmp_path / "b")
    with there.file("sub/model.txt").download(tmp_path / "b", replace=True) as got:
        assert got.read() == "weights\n"
    with pytest.raises(ValueError, match="nope"):
        there.file("nope")


def test_projects_and_project(online: Server, four_runs: str) -> None:
    local, remote = both(online)
    assert remote.project(four_runs).run_count == 4
    assert remote.project(four_runs, entity="admin").path == ["admin", four_runs]
    assert four_runs in [p.name for p in remote.projects()]
    assert local.project(four_runs).run_count == 4
    assert four_runs in [p.name for p in local.projects()]


def test_wandb_spellings_name_is_the_id_default_project_and_histories(
    online: Server, four_runs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, remote = both(online)
    (delta,) = local.runs(four_runs, filters={"display_name": "delta"})
    assert [r.name for r in local.runs(four_runs, filters={"name": delta.id})] == ["delta"]
    assert [r.name for r in remote.runs(f"admin/{four_runs}", filters={"name": delta.id})] == [
        "delta"
    ]
    scoped = nbtrack.Api(online.base_url, online.admin_key, overrides={"project": four_runs})
    assert len(scoped.runs()) == 4
    for api in (local, remote):
        path = four_runs if api is local else f"admin/{four_runs}"
        table = api.runs(path, filters={"tags": "b"}).histories(
            samples=3, keys=["loss"], format="pandas"
        )
        assert list(table.columns) == ["_step", "loss", "run_id"] and len(table) == 6
        rows = api.runs(path, filters={"tags": "b"}).histories(samples=3)
        assert {r["run_id"] for r in rows} == {r.id for r in api.runs(path, filters={"tags": "b"})}
        with pytest.raises(ValueError, match="stream"):
            api.runs(path)[0].history(stream="events")


def test_a_local_update_reaches_the_server_with_the_next_sync(online: Server) -> None:
    run = logged(f"up{uuid.uuid4().hex[:8]}", config={"lr": 0.1})
    run.finish()
    local, remote = both(online)
    here = local.run(run.id)
    here.name, here.notes = "renamed-here", "edited offline"
    here.config["lr"] = 0.3
    here.update()
    assert nbtrack.sync().ok
    there = remote.run(f"admin/{run.project}/{run.id}")
    assert (there.name, there.notes, there.config["lr"], there.state) == (
        "renamed-here",
        "edited offline",
        0.3,
        "finished",
    )
    assert len(list(there.scan_history())) == 30
