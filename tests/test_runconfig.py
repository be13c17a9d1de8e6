"""run.config with wandb's rules: objects, key cleaning, allow_val_change, include/exclude."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack import runlog, runstate
from nbtrack.errors import ConfigError, Error


def need(module: str) -> Any:
    """The module, or a skip when it is absent (a failure under CI, which installs it)."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module)


@dataclasses.dataclass
class Optim:
    lr: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)


@dataclasses.dataclass
class Train:
    epochs: int = 3
    optim: Optim = dataclasses.field(default_factory=Optim)


def config_records(run: nbtrack.Run) -> list[dict[str, Any]]:
    return [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == "config"]


def test_changing_a_value_needs_allow_val_change() -> None:
    run = nbtrack.init(project="p", config={"lr": 0.1})
    run.config.update({"lr": 0.1})  # the same value: fine
    with pytest.raises(ConfigError, match=r"config\['lr'\] is 0.1; changing it to 0.2 needs"):
        run.config.update({"lr": 0.2})
    with pytest.raises(ConfigError):
        run.config.lr = 0.3
    with pytest.raises(Error):
        run.config["lr"] = 0.4
    assert run.config.lr == 0.1
    run.config.update({"lr": 0.5}, allow_val_change=True)
    assert run.config.lr == 0.5
    run.finish()
    assert runstate.replay(Path(run.dir)).config["lr"] == 0.5
    assert [r.get("lr") for r in config_records(run)] == [0.1, 0.1, 0.5]


def test_init_allow_val_change_allows_every_change() -> None:
    run = nbtrack.init(project="p", config={"lr": 0.1}, allow_val_change=True)
    run.config.lr = 0.2
    run.config.update({"lr": 0.3})
    assert run.config.lr == 0.3
    run.finish()


def test_in_ipython_changes_are_allowed_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbtrack import environment

    monkeypatch.setattr(environment, "in_ipython", lambda: True)
    run = nbtrack.init(project="p", config={"lr": 0.1}, reinit="create_new")
    run.config.lr = 0.2
    assert run.config.lr == 0.2
    run.finish()


def test_namespace_absl_flags_and_dataclasses() -> None:
    flags = need("absl.flags")
    values = flags.FlagValues()
    flags.DEFINE_integer("batch_size", 64, "batch size", flag_values=values)
    flags.DEFINE_string("model", "resnet", "model name", flag_values=values)
    values(["train.py", "--model=vit"])
    args = argparse.Namespace(lr=0.01, layers=[64, 64])
    run = nbtrack.init(project="p", config=args)
    run.config.update(values)
    run.config.update(Train())
    assert run.config.as_dict() == {
        "lr": 0.01,
        "layers": [64, 64],
        "batch_size": 64,
        "model": "vit",
        "epochs": 3,
        "optim": {"lr": 0.1, "betas": (0.9, 0.99)},
    }
    run.finish()
    stored = json.loads((Path(run.dir) / "config.json").read_text())
    assert stored["optim"] == {"lr": 0.1, "betas": [0.9, 0.99]}


def test_keys_lose_dashes_and_non_string_keys_are_stored_as_strings() -> None:
    config = {"--learning-rate": 0.1, "id2label": {0: "neg", 1: "pos"}, "flags": {True: 1}}
    run = nbtrack.init(project="p", config=config)
    assert run.config["learning-rate"] == 0.1
    assert run.config.id2label[0] == "neg"  # in memory as given, as in wandb
    run.config.update({"label2id": {"neg": 0}, "more": {2.5: "x"}})
    run.finish()
    read = nbtrack.Api.local().run(run.id).config
    assert read["id2label"] == {"0": "neg", "1": "pos"} and read["flags"] == {"true": 1}
    assert read["more"] == {"2.5": "x"}
    assert runstate.replay(Path(run.dir)).config["id2label"] == {"0": "neg", "1": "pos"}


def test_include_and_exclude_keys() -> None:
    config = {"lr": 0.1, "batch": 32, "secret": "x"}
    run = nbtrack.init(project="p", config=config, config_exclude_keys=["secret"])
    assert run.config.as_dict() == {"lr": 0.1, "batch": 32}
    run.finish()
    run = nbtrack.init(project="p", config=config, config_include_keys=("lr",))
    assert run.config.as_dict() == {"lr": 0.1}
    run.finish()
    with pytest.raises(Error, match="not both"):
        nbtrack.init(
            project="p", config=config, config_include_keys=["a"], config_exclude_keys=["b"]
        )


def test_setdefaults_keys_items_get() -> None:
    run = nbtrack.init(project="p", config={"lr": 0.1})
    run.config.setdefaults({"lr": 0.5, "epochs": 10})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 10}
    assert list(run.config.keys()) == ["lr", "epochs"]
    assert dict(run.config.items()) == {"lr": 0.1, "epochs": 10}
    assert run.config.get("epochs") == 10 and run.config.get("nope", 3) == 3
    assert "lr" in run.config and "nope" not in run.config
    run.finish()


def test_resuming_with_a_different_config_value_takes_it() -> None:
    run = nbtrack.init(project="p", id="cfgres", config={"lr": 0.1})
    run.finish()
    again = nbtrack.init(project="p", id="cfgres", resume="allow", config={"lr": 0.2})
    assert again.config.lr == 0.2
    with pytest.raises(ConfigError):
        again.config.lr = 0.3
    again.finish()


def test_bad_config_objects_are_refused_by_name() -> None:
    with pytest.raises(
        TypeError, match="config takes a dict, a YAML/JSON file, an argparse Namespace"
    ):
        nbtrack.init(project="p", config=42)
    with pytest.raises(ValueError, match="empty once '-' is stripped"):
        nbtrack.init(project="p", config={"--": 1})


def test_a_yaml_or_json_file_as_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "lr:\n  desc: learning rate\n  value: 0.01\nlayers: [64, 64]\n"
    )
    run = nbtrack.init(project="p", config=str(tmp_path / "config.yaml"))
    assert run.config.as_dict() == {"lr": 0.01, "layers": [64, 64]}
    (tmp_path / "more.json").write_text(json.dumps({"epochs": 3}))
    run.config.update(tmp_path / "more.json")
    assert run.config.epochs == 3
    run.finish()
    with pytest.raises(Error, match=r"nope\.yaml"):
        nbtrack.init(project="p", config="nope.yaml")
