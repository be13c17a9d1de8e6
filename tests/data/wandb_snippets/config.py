# wandb docs, "Configure experiments"
import argparse

import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args([])
run = wandb.init(project="snippets", config=args, config_exclude_keys=["batch_size"])
run.config.update({"epochs": 10, "id2label": {0: "neg", 1: "pos"}})
run.config.setdefaults({"epochs": 5, "dropout": 0.1})
print(sorted(run.config.keys()), run.config.epochs, run.config.get("dropout"))
print(run.config.id2label[0], "lr" in run.config, "batch_size" in run.config)
try:
    run.config.update({"lr": 0.1})
except wandb.Error as error:
    print("refused:", type(error).__name__)
run.config.update({"lr": 0.1}, allow_val_change=True)
run.config["--warmup"] = 3
print(run.config.lr, run.config.as_dict()["warmup"])
run.finish()
