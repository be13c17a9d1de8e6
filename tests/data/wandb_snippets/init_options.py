# wandb docs, "wandb.init()": keywords training scripts pass
import wandb

run = wandb.init(
    project="snippets",
    name="my-run",
    notes="first try",
    tags=["baseline", "cnn"],
    group="exp-1",
    job_type="train",
    config={"lr": 0.01},
    save_code=False,
    anonymous="allow",
    allow_val_change=True,
    settings=wandb.Settings(console="off", x_disable_stats=True),
)
print(run.name, run.notes, run.tags, run.group, run.job_type)
run.config.update({"lr": 0.02}, allow_val_change=True)
print(run.config.lr)
run.name = "renamed"
run.tags = (*run.tags, "extra")
print(run.name, run.tags)
run.finish()
