# wandb docs, "Environment variables": the run picks up WANDB_* settings
import os

import wandb

os.environ["WANDB_PROJECT"] = "from-env"
os.environ["WANDB_NAME"] = "env-run"
os.environ["WANDB_NOTES"] = "set by a job script"
os.environ["WANDB_TAGS"] = "a,b"
os.environ["WANDB_RUN_GROUP"] = "grp"
os.environ["WANDB_JOB_TYPE"] = "train"
run = wandb.init()
print(run.project, run.name, run.notes, sorted(run.tags), run.group, run.job_type)
run.finish()
