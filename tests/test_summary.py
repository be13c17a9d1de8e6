"""run.summary as in wandb: nested reads, del/pop/update/get/keys/items/in, and reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from nbtrack import runlog, runstate
from nbtrack.runparts.summary import nest


def test_nested_logs_read_back_nested_while_history_keeps_dotted_keys() -> None:
    run = nbtrack.init(project="p")
    run.log({"train": {"loss": 0.5, "acc": {"top1": 0.7}}})
    assert run.summary["train"]["loss"] == 0.5
    assert run.summary["train"]["acc"] == {"top1": 0.7}
    assert run.summary["train.loss"] == 0.5
    assert run.summary.train["acc"]["top1"] == 0.7
    assert "train" in run.summary and "train.acc" in run.summary and "tra" not in run.summary
    run.finish()
    rows = [p for _, k, p in runlog.read(Path(run.dir) / runlog.LOG_NAME) if k == "h"]
    assert rows[0]["train.loss"] == 0.5 and rows[0]["train.acc.top1"] == 0.7
    assert nbtrack.Api.local().run(run.id).summary["train.loss"] == 0.5


def test_keys_items_get_and_len_are_top_level() -> None:
    run = nbtrack.init(project="p")
    run.log({"train": {"loss": 0.5}, "lr": 0.1})
    user_keys = [k for k in run.summary.keys() if not k.startswith("_")]  # noqa: SIM118 - keys() itself
    assert user_keys == ["train", "lr"]
    items = {k: v for k, v in run.summary.items() if not k.startswith("_")}
    assert items == {"train": {"loss": 0.5}, "lr": 0.1}
    assert run.summary.get("train") == {"loss": 0.5}
    assert run.summary.get("missing", 7) == 7
    assert len(run.summary) == len(list(run.summary))
    with pytest.raises(KeyError):
        run.summary["missing"]
    run.finish()


def test_setting_a_dict_replaces_what_was_under_the_key() -> None:
    run = nbtrack.init(project="p")
    run.log({"eval": {"acc": 0.5, "f1": 0.4}})
    run.summary["eval"] = {"acc": 0.9}
    assert run.summary["eval"] == {"acc": 0.9}
    run.summary.update({"best": {"epoch": 3}}, extra=1)
    assert run.summary["best"]["epoch"] == 3 and run.summary["extra"] == 1
    run.finish()
    replayed = runstate.replay(Path(run.dir)).summary
    assert "eval.f1" not in replayed and replayed["eval.acc"] == 0.9
    assert replayed["best.epoch"] == 3


def test_del_and_pop_are_recorded_and_read_back() -> None:
    run = nbtrack.init(project="p")
    run.log({"a": 1, "b": {"c": 2, "d": 3}, "e": 4})
    del run.summary["a"]
    assert run.summary.pop("b") == {"c": 2, "d": 3}
    assert run.summary.pop("b", None) is None
    del run.summary.e
    with pytest.raises(KeyError):
        del run.summary["a"]
    with pytest.raises(KeyError):
        run.summary.pop("zzz")
    assert not {"a", "b", "e"} & set(run.summary.keys())
    nbtrack.summary["f"] = 5
    del nbtrack.summary["f"]
    assert "f" not in nbtrack.summary
    run.finish()
    replayed = runstate.replay(Path(run.dir)).summary
    assert not {"a", "b.c", "b.d", "e", "f"} & set(replayed)
    assert not {"a", "b.c", "e"} & set(nbtrack.Api.local().run(run.id).summary)


def test_a_later_log_brings_a_deleted_key_back() -> None:
    run = nbtrack.init(project="p")
    run.log({"a": 1})
    del run.summary["a"]
    run.log({"a": 2})
    assert run.summary["a"] == 2
    run.finish()
    assert runstate.replay(Path(run.dir)).summary["a"] == 2


def test_nest_keeps_a_dotted_key_whose_parent_is_a_value() -> None:
    assert nest({"a.b": 1, "a.c.d": 2, "e": 3}) == {"a": {"b": 1, "c": {"d": 2}}, "e": 3}
    assert nest({"a": 1, "a.b": 2}) == {"a": 1, "a.b": 2}
    assert nest({"m": {"min": 0.1}, "m.x": 2}) == {"m": {"min": 0.1}, "m.x": 2}
