"""wandb's settings names, init keywords and WANDB_* environment twins."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack import runlog, settings
from nbtrack.errors import Error, UsageError


@pytest.fixture
def no_wandb_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("WANDB_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_accept_wandb_field_names() -> None:
    given = nbtrack.Settings(
        silent=True,
        console="off",
        start_method="thread",
        init_timeout=30,
        x_disable_stats=True,
        _disable_stats=True,
        mode="offline",
        run_name="from-settings",
        disable_code=True,
    )
    assert given.silent is True and given.init_timeout == 30 and given.mode == "offline"
    assert given.name == "from-settings" and given.save_code is False
    run = nbtrack.init(project="p", settings=given)
    assert run.name == "from-settings" and run.settings.init_timeout == 30.0
    run.finish()
    run = nbtrack.init(project="p", settings={"console": "wrap", "run_tags": "a,b"})
    assert run.tags == ("a", "b")
    run.finish()


def test_unknown_settings_are_a_clear_error() -> None:
    with pytest.raises(UsageError, match=r"Unknown setting 'projekt'.*accepted and ignored"):
        nbtrack.Settings(projekt="p")
    with pytest.raises(Error, match="Unknown setting 'nope'"):
        nbtrack.init(settings={"nope": 1})


def test_init_accepts_wandb_keywords(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTRACK_SILENT")
    run = nbtrack.init(
        project="p",
        anonymous="allow",
        force=False,
        save_code=False,
        sync_tensorboard=True,
        monitor_gym=True,
    )
    run.finish()
    run = nbtrack.init(project="p", sync_tensorboard=True)
    run.finish()
    err = capsys.readouterr().err
    assert err.count("sync_tensorboard=True) is accepted but not supported yet") == 1
    assert err.count("monitor_gym=True) is accepted but not supported yet") == 1


def test_wandb_environment_twins_apply_where_nbtrack_ones_are_unset(
    no_wandb_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    twins = {
        "WANDB_PROJECT": "from-wandb",
        "WANDB_ENTITY": "team",
        "WANDB_NAME": "wandb-name",
        "WANDB_RUN_ID": "wandbid1",
        "WANDB_NOTES": "some notes",
        "WANDB_TAGS": "x,y",
        "WANDB_RUN_GROUP": "g",
        "WANDB_JOB_TYPE": "train",
        "WANDB_RESUME": "allow",
        "WANDB_SILENT": "true",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true",
        "WANDB_DIR": str(tmp_path / "elsewhere"),
        "WANDB_NOTEBOOK_NAME": "nb.ipynb",
    }
    no_wandb_env.delenv("NBTRACK_SILENT")
    for name, value in twins.items():
        no_wandb_env.setenv(name, value)
    no_wandb_env.setenv("WANDB_API_KEY", "wandb-key-for-another-service")
    no_wandb_env.setenv("WANDB_BASE_URL", "https://api.wandb.ai")
    found = settings.resolve()
    assert (found.project, found.entity, found.name, found.run_id) == (
        "from-wandb",
        "team",
        "wandb-name",
        "wandbid1",
    )
    assert (found.notes, found.tags, found.group, found.job_type) == (
        "some notes",
        ("x", "y"),
        "g",
        "train",
    )
    assert (found.resume, found.silent, found.disable_git, found.save_code) == (
        "allow",
        True,
        True,
        False,
    )
    assert found.dir == str(tmp_path / "elsewhere") and found.notebook_name == "nb.ipynb"
    assert found.api_key is None and found.base_url == settings.DEFAULT_BASE_URL
    from nbtrack import console

    assert console.silent()
    no_wandb_env.setenv("NBTRACK_PROJECT", "mine")
    assert settings.resolve().project == "mine"


def test_wandb_mode_and_disabled(no_wandb_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_wandb_env.delenv("NBTRACK_MODE")
    no_wandb_env.setenv("WANDB_MODE", "disabled")
    run = nbtrack.init(project="p", config={"lr": 0.1})
    run.define_metric("loss", summary="min")
    run.log({"loss": 1.0})
    run.summary["x"] = 1
    run.finish()
    assert run.mode == "disabled"
    assert not (tmp_path / "nbtrack").exists()
    assert not (tmp_path / "config").exists()  # not even the run-name counter
    no_wandb_env.delenv("WANDB_MODE")
    no_wandb_env.setenv("WANDB_DISABLED", "true")
    assert settings.resolve().mode == "disabled"
    no_wandb_env.setenv("WANDB_MODE", "offline")
    assert settings.resolve().mode == "disabled"
    assert settings.resolve({"mode": "offline"}).mode == "offline"


def test_config_paths_load_json_and_yaml_under_the_init_config(
    no_wandb_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "base.json").write_text(json.dumps({"lr": 0.1, "epochs": 3}))
    (tmp_path / "extra.yaml").write_text("epochs:\n  desc: how many\n  value: 5\nmodel: vit\n")
    no_wandb_env.setenv("WANDB_CONFIG_PATHS", f"{tmp_path / 'base.json'},{tmp_path / 'extra.yaml'}")
    run = nbtrack.init(project="p", config={"model": "resnet"})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 5, "model": "resnet"}
    run.finish()
    no_wandb_env.setenv("NBTRACK_CONFIG_PATHS", str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match=r"missing\.json"):
        nbtrack.init(project="p")


def test_settings_mode_run_is_online() -> None:
    assert settings.normalize_mode("run") == "online"


def test_disabled_run_logs_nothing_to_disk(tmp_path: Path) -> None:
    run = nbtrack.init(project="p", mode="disabled")
    run.log({"a": 1})
    run.finish()
    assert not any(tmp_path.glob("**/" + runlog.LOG_NAME))
