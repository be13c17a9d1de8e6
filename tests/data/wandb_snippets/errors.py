# what user code catches: wandb.Error and logging without a run
import wandb

try:
    wandb.log({"x": 1})
except wandb.Error as error:
    print("no run:", isinstance(error, wandb.Error))
run = wandb.init(project="snippets")
run.finish()
try:
    run.log({"x": 1})
except wandb.Error as error:
    print("finished:", isinstance(error, wandb.Error))
