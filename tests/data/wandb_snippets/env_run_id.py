# wandb docs, "Environment variables": WANDB_RUN_ID and WANDB_RESUME from a job script
import os

import wandb

os.environ["WANDB_RUN_ID"] = "envid123"
os.environ["WANDB_RESUME"] = "allow"
run = wandb.init(project="snippets")
print(run.id)
run.log({"x": 1})
run.finish()
