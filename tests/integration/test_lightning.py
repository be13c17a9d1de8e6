"""NbtrackLogger: Lightning fit on a tiny MLP, read back through Api.local."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.rank_zero import rank_zero_only
from torch.utils.data import DataLoader, TensorDataset

import nbtrack
from nbtrack import runlog
from nbtrack.integration.lightning import NbtrackLogger

pytestmark = [
    # lightning's own use of APIs that torch 2.13 deprecates, and its hints about a tiny setup
    pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning"),
    pytest.mark.filterwarnings("ignore:.*does not have many workers.*"),
    pytest.mark.filterwarnings("ignore:.*number of training batches.*"),
]


class TinyModel(pl.LightningModule):
    def __init__(self, hidden: int = 8, lr: float = 0.1) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: Any, index: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: Any, index: int) -> None:
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams["lr"])


def loader() -> DataLoader[Any]:
    torch.manual_seed(0)
    return DataLoader(TensorDataset(torch.randn(32, 4), torch.randn(32, 1)), batch_size=8)


def fit(logger: NbtrackLogger, folder: Path, **model: Any) -> None:
    trainer = pl.Trainer(
        max_epochs=2,
        logger=logger,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        callbacks=[ModelCheckpoint(dirpath=folder, monitor="val/loss", save_top_k=1)],
    )
    trainer.fit(TinyModel(**model), loader(), loader())


def artifacts(run_dir: str) -> list[dict[str, Any]]:
    log = Path(run_dir) / runlog.LOG_NAME
    return [p for _, k, p in runlog.read(log) if k == "artifact"]


def test_fit_logs_config_metrics_and_checkpoint(tmp_path: Path) -> None:
    logger = NbtrackLogger(project="pl", log_model=True, tags=["tiny"])
    fit(logger, tmp_path / "ckpt", hidden=6)
    view = nbtrack.Api.local().run("pl", logger.version)
    assert view.state == "finished" and view.tags == ["tiny"]
    assert view.config == {"hidden": 6, "lr": 0.1}
    rows = view.history(pandas=False)
    train = [r for r in rows if "train/loss" in r]
    assert [r["trainer/global_step"] for r in train] == list(range(8))  # 4 batches x 2 epochs
    val = [r for r in rows if "val/loss" in r]
    assert [r["trainer/global_step"] for r in val] == [3, 7] and all("epoch" in r for r in val)
    assert view.summary["val/loss"] == val[-1]["val/loss"]
    metrics = [
        p for _, k, p in runlog.read(Path(view.dir or "") / runlog.LOG_NAME) if k == "metric"
    ]
    assert {"name": "*", "step_metric": "trainer/global_step"}.items() <= metrics[-1].items()
    [model] = artifacts(view.dir or "")
    assert model["type"] == "model" and model["name"] == f"model-{view.id}"
    assert set(model["aliases"]) == {"latest", "best"}
    assert model["metadata"]["score"] == pytest.approx(view.summary["val/loss"], rel=1e-5)
    assert model["metadata"]["path"].endswith(".ckpt")


def test_several_trainers_each_get_a_run(tmp_path: Path) -> None:
    first, second = NbtrackLogger(project="pl"), NbtrackLogger(project="pl", log_model="all")
    fit(first, tmp_path / "a")
    fit(second, tmp_path / "b", lr=0.05)
    assert first.version != second.version
    runs = {r.id: r for r in nbtrack.Api.local().runs("pl")}
    assert runs[first.version].config["lr"] == 0.1 and runs[second.version].config["lr"] == 0.05
    assert all(r.state == "finished" for r in runs.values())
    assert artifacts(runs[first.version].dir or "") == []
    assert len(artifacts(runs[second.version].dir or "")) >= 1  # as each checkpoint is saved


def test_experiment_after_training_is_the_finished_run_and_a_new_fit_starts_another(
    tmp_path: Path,
) -> None:
    logger = NbtrackLogger(project="pl")
    fit(logger, tmp_path / "a")
    run = logger.experiment  # read after fit: the run just finished, not a new empty one
    assert run.id == logger.version and run.finished and "train/loss" in run.summary
    assert [r.id for r in nbtrack.Api.local().runs("pl")] == [run.id]
    fit(logger, tmp_path / "b")
    assert logger.version != run.id and logger.experiment.id == logger.version
    assert len(nbtrack.Api.local().runs("pl")) == 2


def test_other_ranks_log_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = NbtrackLogger(project="pl")
    logger.log_hyperparams({"lr": 1})
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("success")
    assert logger.version is None and not (Path("nbtrack")).exists()


def test_log_model_is_checked() -> None:
    with pytest.raises(ValueError, match="log_model must be False, True or 'all', not 'best'"):
        NbtrackLogger(log_model="best")
