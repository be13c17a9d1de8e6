"""Real sources written by the real libraries, each in its own process (all three at once):
a wandb offline run (and one that dies before finishing), TensorBoard event files from
``torch.utils.tensorboard``, an MLflow SQLite store. Each script also writes ``expected.json``:
what it logged, for the tests to compare against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

WANDB = """
import json, os, sys, numpy as np, wandb
crash = sys.argv[1] == "crash"
settings = wandb.Settings(x_stats_sampling_interval=0.2, silent=True)
config = {"lr": 0.1, "opt": {"name": "adam"}}
run = wandb.init(project="imported", mode="offline", name="crash-run" if crash else "good-run",
                 id="crashrun" if crash else "goodrun1", config=config, tags=["a", "b"],
                 notes="the notes", group="grp", job_type="train", settings=settings)
rows = [{"loss": 1.0 / (i + 1), "acc": i / 10, "train": {"x": i}} for i in range(6)]
rows[2]["weird"] = float("nan")
for row in rows:
    run.log(row)
if crash:  # wandb-core writes the log in 32 KiB blocks: enough rows that some reach the file
    for i in range(6, 4000):
        run.log({"loss": 1.0 / (i + 1)})
    import time; time.sleep(1.5)
    os._exit(3)
pixels = (np.arange(48).reshape(4, 4, 3) * 5).astype(np.uint8)
histogram = wandb.Histogram(np_histogram=([1, 2, 3], [0, 1, 2, 3]))
run.log({"img": wandb.Image(pixels), "hist": histogram}, step=9)
run.summary["best"] = 0.5
import time; time.sleep(0.6)
run.finish()
json.dump({"rows": rows, "dir": run.dir}, open(sys.argv[2], "w"))
"""

TENSORBOARD = """
import json, sys, numpy as np
from torch.utils.tensorboard import SummaryWriter
root = sys.argv[1]
writer = SummaryWriter(root + "/train")
losses = [1.0 / (i + 1) for i in range(8)]
for i, value in enumerate(losses):
    writer.add_scalar("loss", value, i)
    writer.add_scalar("lr", 0.01, i)
writer.add_histogram("weights", np.array([0.0, 1.0, 1.0, 2.0, 3.0]), 3)
writer.add_image("sample", np.full((3, 5, 6), 0.5), 2)
writer.add_text("note", "text is not imported", 1)
writer.add_hparams({"lr": 0.01, "opt": "sgd", "layers": 3}, {"hparam/best": 0.75}, run_name="hp")
writer.close()
other = SummaryWriter(root + "/eval")
other.add_scalar("acc", 0.5, 10)
other.close()
json.dump({"losses": losses}, open(sys.argv[2], "w"))
"""

MLFLOW = """
import json, os, sys, mlflow
os.chdir(sys.argv[1])
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1] + "/mlflow.db")
mlflow.set_experiment("exp-one")
with mlflow.start_run(run_name="ml-run") as run:
    mlflow.log_params({"lr": 0.1, "opt": "adam"})
    for i in range(4):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i, timestamp=1_800_000_000_000 + i * 1000)
    mlflow.log_metric("acc", 0.9, step=3, timestamp=1_800_000_003_500)
    mlflow.set_tags({"team": "vision", "mlflow.note.content": "ml notes"})
    with open("model.txt", "w") as f:
        f.write("weights")
    mlflow.log_artifact("model.txt", artifact_path="models")
failed = mlflow.start_run(run_name="broken")
mlflow.end_run(status="FAILED")
info = mlflow.get_run(run.info.run_id).info
json.dump({"run_id": run.info.run_id, "failed_id": failed.info.run_id, "start": info.start_time,
           "end": info.end_time}, open(sys.argv[2], "w"))
"""


def _git_repo(folder: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "Test")
    (folder / "train.py").write_text("print('train')\n")
    git("add", "train.py")
    git("commit", "-q", "-m", "first")
    (folder / "train.py").write_text("print('changed')\n")


def make_all(root: Path) -> dict[str, Any]:
    """Write every source under ``root``; returns ``{name: (folder, expected)}``."""
    jobs = {
        "wandb": (WANDB, ["good"]),
        "wandb-crash": (WANDB, ["crash"]),
        "tensorboard": (TENSORBOARD, []),
        "mlflow": (MLFLOW, []),
    }
    running = {}
    for name, (script, args) in jobs.items():
        folder = root / name
        folder.mkdir(parents=True)
        if name == "wandb":  # a git repository with a commit and an uncommitted change
            _git_repo(folder)
        env = {
            **os.environ,
            "WANDB_DIR": str(folder),
            "WANDB_SILENT": "true",
            "WANDB_MODE": "offline",
        }
        env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        expected = folder / "expected.json"
        command = [sys.executable, "-c", script, *(args or [str(folder)]), str(expected)]
        running[name] = (subprocess.Popen(command, cwd=folder, env=env), folder, expected)
    out = {}
    for name, (process, folder, expected) in running.items():
        process.wait(timeout=600)
        out[name] = (folder, json.loads(expected.read_text()) if expected.exists() else None)
    return out
