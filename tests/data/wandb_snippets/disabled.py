# wandb docs, "Disable W&B": WANDB_MODE=disabled, the code runs and nothing is written
import os

import wandb

os.environ["WANDB_MODE"] = "disabled"
run = wandb.init(project="snippets", config={"lr": 0.1})
run.log({"loss": 0.5})
run.config.update({"epochs": 2})
print(run.config.lr, run.config.epochs)
run.define_metric("loss", summary="min")
run.finish()
print(sorted(p for p in os.listdir(".") if not p.startswith(".")))
