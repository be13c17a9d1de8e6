# module helpers user code calls
import wandb

print(
    issubclass(wandb.errors.CommError, wandb.Error),
    issubclass(wandb.errors.UsageError, wandb.Error),
)
print(wandb.login())
wandb.require("core")
settings = wandb.Settings(silent=True, console="off", x_disable_stats=True, init_timeout=60)
run = wandb.init(project="snippets", settings=settings)
run.log({"x": 1})
print(run.summary["x"])
run.finish()
