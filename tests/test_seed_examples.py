"""The examples of the wandb guide, run with ``import nbtrack as wandb`` and read back."""

from __future__ import annotations

import os
import re

import nbtrack
import nbtrack as wandb


def test_reinit_loop_makes_ten_finished_runs() -> None:
    for x in range(10):
        run = wandb.init(project="runs-from-for-loop", reinit=True)
        for y in range(100):
            wandb.log({"metric": x + y})
        run.finish()
    runs = nbtrack.Api.local().runs("runs-from-for-loop")
    assert len(runs) == 10
    assert {r.state for r in runs} == {"finished"}
    newest = runs[-1]  # oldest first, as in wandb
    rows = list(newest.scan_history())
    assert [r["metric"] for r in rows] == [9 + y for y in range(100)]
    assert [r["_step"] for r in rows] == list(range(100))
    assert newest.summary["metric"] == 108


def test_context_manager_finishes_each_run() -> None:
    for x in range(3):
        run = wandb.init(reinit=True)
        with run:
            for y in range(100):
                run.log({"metric": x + y})
        assert run.state == "finished"
    runs = nbtrack.Api.local().runs("uncategorized")
    assert [r.summary["metric"] for r in runs] == [99, 100, 101]


def test_readable_run_name() -> None:
    wandb.init()
    run_name = wandb.run.name
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", run_name)
    assert re.fullmatch(r"[a-z0-9]{8}", wandb.run.id)


def test_rename_run_to_its_id() -> None:
    wandb.init()
    wandb.run.name = wandb.run.id
    wandb.run.save()
    run_id = wandb.run.id
    wandb.finish()
    assert nbtrack.Api.local().run(run_id).name == run_id


def test_offline_example_with_config() -> None:
    os.environ["NBTRACK_API_KEY"] = "nbt_not_needed_offline"
    os.environ["NBTRACK_MODE"] = "dryrun"
    config = {
        "dataset": "CIFAR10",
        "machine": "offline cluster",
        "model": "CNN",
        "learning_rate": 0.01,
        "batch_size": 128,
    }
    run = wandb.init(project="offline-demo", config=config)
    for i in range(100):
        wandb.log({"accuracy": i})
    wandb.finish()
    assert os.path.basename(run.dir).startswith("offline-run-")
    back = nbtrack.Api.local().run("offline-demo", run.id)
    assert back.config == config
    assert back.summary["accuracy"] == 99
    assert len(list(back.scan_history())) == 100
