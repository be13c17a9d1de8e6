"""NbtrackCallback: a Trainer on a tiny BERT built from a BertConfig; random token ids, no
download."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainingArguments,
)

import nbtrack
from nbtrack import runlog
from nbtrack.integration.transformers import NbtrackCallback


class RandomIds(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __init__(self, count: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.ids = torch.randint(1, 50, (count, 12), generator=generator)
        self.labels = torch.randint(0, 2, (count,), generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        ids = self.ids[index]
        return {
            "input_ids": ids,
            "attention_mask": torch.ones_like(ids),
            "labels": self.labels[index],
        }


def tiny_bert() -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
        id2label={0: "neg", 1: "pos"},
        label2id={"neg": 0, "pos": 1},
    )
    return BertForSequenceClassification(config)


def train(folder: Path, callback: NbtrackCallback) -> Trainer:
    args = TrainingArguments(
        output_dir=str(folder),
        per_device_train_batch_size=4,
        num_train_epochs=2,
        learning_rate=1e-3,
        logging_steps=1,
        eval_strategy="epoch",
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=tiny_bert(),
        args=args,
        train_dataset=RandomIds(16),
        eval_dataset=RandomIds(8),
        callbacks=[callback],
    )
    trainer.train()
    return trainer


def test_trainer_logs_config_metrics_and_model(tmp_path: Path) -> None:
    callback = NbtrackCallback(project="hf", log_model=True)
    trainer = train(tmp_path / "out", callback)
    trainer.evaluate()  # after training: the run is still open
    assert callback.run is not None
    run_id = callback.run.id
    nbtrack.finish()
    view = nbtrack.Api.local().run("hf", run_id)
    assert view.config["learning_rate"] == 0.001 and view.config["num_train_epochs"] == 2
    model_config = view.config["model_config"]
    assert model_config["id2label"] == {"0": "neg", "1": "pos"}
    assert model_config["hidden_size"] == 16
    rows = view.history(pandas=False)
    train_rows = [r for r in rows if "train/loss" in r]
    assert [r["train/global_step"] for r in train_rows] == list(range(1, 9))  # 4 steps x 2 epochs
    evals = [r["train/global_step"] for r in rows if "eval/loss" in r]
    assert evals == [4, 8, 8]  # each epoch, and trainer.evaluate()
    assert any("train/train_runtime" in r for r in rows)
    assert view.summary["eval/loss"] == [r for r in rows if "eval/loss" in r][-1]["eval/loss"]
    log = Path(view.dir or "") / runlog.LOG_NAME
    [model] = [p for _, k, p in runlog.read(log) if k == "artifact"]
    assert model["type"] == "model" and model["name"] == f"model-{run_id}"
    manifest = json.loads((Path(view.dir or "") / model["manifest"]).read_text())
    assert {"config.json", "model.safetensors"} <= set(manifest["entries"])


def test_uses_the_current_run_and_checks_log_model(tmp_path: Path) -> None:
    run = nbtrack.init(project="hf", config={"mine": 1})
    callback = NbtrackCallback()
    train(tmp_path / "out", callback)
    assert callback.run is run and not run.finished
    run.finish()
    view = nbtrack.Api.local().run("hf", run.id)
    assert view.config["mine"] == 1 and "per_device_train_batch_size" in view.config
    with pytest.raises(ValueError, match="log_model must be False, True, 'end' or 'checkpoint'"):
        NbtrackCallback(log_model="best")
