"""init(): every reinit value, resume modes, settings precedence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack.errors import ResumeError


def test_script_default_returns_the_previous_run() -> None:
    first = nbtrack.init(project="p")
    assert nbtrack.init(project="p") is first
    assert nbtrack.init(project="p", reinit=False) is first
    assert nbtrack.init(project="p", reinit="return_previous") is first
    assert first.state == "running"


def test_finish_previous_and_true(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["NBTRACK_SILENT"] = "false"
    first = nbtrack.init(project="p")
    second = nbtrack.init(project="p", reinit="finish_previous")
    third = nbtrack.init(project="p", reinit=True)
    assert (first.state, second.state, third.state) == ("finished", "finished", "running")
    assert nbtrack.run is third
    err = capsys.readouterr().err
    assert err.count("reinit='finish_previous'") == 2
    assert f"finished run {first.name} ({first.id})" in err


def test_return_previous_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["NBTRACK_SILENT"] = "false"
    first = nbtrack.init(project="p")
    nbtrack.init(project="p", reinit="return_previous")
    assert f"returning the current run {first.name}" in capsys.readouterr().err


def test_create_new_keeps_several_runs_alive() -> None:
    current = nbtrack.init(project="p")
    extra = nbtrack.init(project="p", reinit="create_new")
    extra2 = nbtrack.init(project="p", reinit="create_new")
    assert nbtrack.run is current
    assert {current.state, extra.state, extra2.state} == {"running"}
    extra.log({"a": 1})
    nbtrack.log({"b": 2})
    for run in (current, extra, extra2):
        run.finish()
    assert "a" in nbtrack.Api.local().run(extra.id).summary
    assert "b" in nbtrack.Api.local().run(current.id).summary


def test_default_in_ipython_finishes_previous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nbtrack.environment.in_ipython", lambda: True)
    first = nbtrack.init(project="p")
    second = nbtrack.init(project="p", reinit="default")
    assert first.state == "finished" and second is not first


def test_bad_reinit_value() -> None:
    with pytest.raises(ValueError, match=r"reinit='sometimes' is not a reinit policy"):
        nbtrack.init(reinit="sometimes")


def test_resume_allow_continues_steps_and_config() -> None:
    run = nbtrack.init(project="p", id="resume01", config={"lr": 0.1})
    for i in range(3):
        run.log({"x": i})
    run.finish()
    again = nbtrack.init(project="p", id="resume01", resume="allow", config={"epochs": 2})
    assert again.dir == run.dir and again.step == 3 and again.name == run.name
    again.log({"x": 10})
    again.finish()
    back = nbtrack.Api.local().run("resume01")
    assert [r["_step"] for r in back.scan_history()] == [0, 1, 2, 3]
    assert back.config == {"lr": 0.1, "epochs": 2}
    assert back.state == "finished"


def test_resume_must_and_never() -> None:
    with pytest.raises(ResumeError, match="no run 'ghost'"):
        nbtrack.init(id="ghost", resume="must")
    nbtrack.init(id="exists1").finish()
    with pytest.raises(ResumeError, match="exists already"):
        nbtrack.init(id="exists1", resume="never")
    with pytest.raises(ResumeError, match="resume='allow'"):
        nbtrack.init(id="exists1")
    fresh = nbtrack.init(id="new-one", resume="allow")
    assert fresh.step == 0


def test_resume_auto_picks_up_a_crashed_latest_run(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = "import nbtrack, os; r = nbtrack.init(project='p'); r.log({'a': 1}); os._exit(9)"
    subprocess.run([sys.executable, "-c", code], check=False, env=os.environ.copy())
    crashed = nbtrack.Api.local().runs("p")[0]
    assert crashed.state == "crashed"
    run = nbtrack.init(project="p", resume="auto")
    assert run.id == crashed.id and run.step == 1
    run.finish()
    assert nbtrack.init(project="p", resume="auto", reinit="create_new").id != crashed.id


def test_bad_names_and_ids() -> None:
    with pytest.raises(ValueError, match=r"project='my project' is not a valid project name"):
        nbtrack.init(project="my project")
    with pytest.raises(ValueError, match="entity="):
        nbtrack.init(entity="a/b")
    with pytest.raises(ValueError, match=r"id='no/slash' is not a valid run ID"):
        nbtrack.init(id="no/slash")
    with pytest.raises(ValueError, match=r"mode='fast'"):
        nbtrack.init(mode="fast")
    with pytest.raises(ValueError, match="resume="):
        nbtrack.init(resume="maybe")


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "config" / "settings"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("[default]\nproject = from-user\nentity = user-entity\ngroup = g1\n")
    local = tmp_path / "nbtrack" / "settings"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text("[default]\nproject = from-local\njob_type = j\n")
    run = nbtrack.init()
    assert (run.project, run.entity, run.group, run.job_type) == (
        "from-local",
        "user-entity",
        "g1",
        "j",
    )
    run.finish()
    monkeypatch.setenv("NBTRACK_PROJECT", "from-env")
    monkeypatch.setenv("NBTRACK_TAGS", "a,b")
    run = nbtrack.init()
    assert run.project == "from-env" and run.tags == ("a", "b")
    run.finish()
    run = nbtrack.init(project="from-arg")
    assert run.project == "from-arg"
    run.finish()


def test_env_names_are_read_at_each_init(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_NAME", "named")
    monkeypatch.setenv("NBTRACK_RUN_GROUP", "grp")
    monkeypatch.setenv("NBTRACK_JOB_TYPE", "eval")
    monkeypatch.setenv("NBTRACK_NOTES", "some notes")
    monkeypatch.setenv("NBTRACK_RUN_ID", "envid123")
    run = nbtrack.init()
    assert (run.name, run.group, run.job_type, run.notes, run.id) == (
        "named",
        "grp",
        "eval",
        "some notes",
        "envid123",
    )
    run.finish()
    monkeypatch.setenv("NBTRACK_MODE", "disabled")
    assert nbtrack.init(reinit="create_new").dir == ""


def test_bad_settings_file_is_named(tmp_path: Path) -> None:
    local = tmp_path / "nbtrack" / "settings"
    local.parent.mkdir(parents=True)
    local.write_text("[default]\nprojekt = typo\n")
    with pytest.raises(ValueError, match=r"unknown key\(s\) projekt"):
        nbtrack.init()


def test_bad_boolean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTRACK_DISABLE_GIT", "perhaps")
    with pytest.raises(ValueError, match="disable_git='perhaps' must be true or false"):
        nbtrack.init()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": 123}, r"name must be a string, not int \(123\)"),
        ({"notes": 5}, "notes must be a string"),
        ({"group": ["x"]}, r"group must be a string, not list"),
        ({"dir": 5}, "dir must be a string"),
        ({"settings": {"silent": "loud"}}, "silent='loud' must be true or false"),
        ({"settings": {"init_timeout": -1}}, "must be a positive number of seconds"),
        ({"settings": {"finish_timeout": "soon"}}, "must be a number of seconds"),
    ],
)
def test_wrong_argument_types_are_named(arguments: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        nbtrack.init(**arguments)  # type: ignore[arg-type]
    assert not (Path.cwd() / "nbtrack").exists()


def test_dir_may_be_a_path(tmp_path: Path) -> None:
    run = nbtrack.init(dir=tmp_path / "elsewhere")
    run.finish()
    assert Path(run.dir).parent == tmp_path / "elsewhere" / "nbtrack"
