"""NbtrackLogger under DDP: two CPU processes (gloo) train, only rank 0 makes and fills a run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtrack import rundir, runstate
from tests.server.support import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SCRIPT = """
import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from nbtrack.integration.lightning import NbtrackLogger


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.save_hyperparameters({"width": 4})
        self.net = torch.nn.Linear(4, 1)

    def training_step(self, batch, index):
        loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


if __name__ == "__main__":
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(32, 4), torch.randn(32, 1))
    trainer = pl.Trainer(strategy="ddp", devices=2, accelerator="cpu", max_epochs=2,
                         logger=NbtrackLogger(project="ddp"), log_every_n_steps=1,
                         enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False)
    trainer.fit(Tiny(), DataLoader(data, batch_size=8))
"""


def test_only_rank_zero_logs(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(REPO), NBTRACK_MODE="offline", NBTRACK_SILENT="1")
    env.update(NBTRACK_DISABLE_STATS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = rundir.list_all(tmp_path / "nbtrack")
    state = runstate.replay(path)
    assert state.state == "finished" and state.config == {"width": 4}
    assert state.history_count == 4  # 32 samples / 2 ranks / batch 8 = 2 steps, x 2 epochs
