# wandb docs, "Create multiple runs in one process": a loop of runs
import wandb

for x in range(3):
    run = wandb.init(project="snippets", config={"x": x}, reinit="finish_previous")
    for y in range(10):
        run.log({"metric": x + y})
    print(run.config.x, run.summary["metric"], run.step)
    run.finish()
ids = set()
for lr in (0.1, 0.01):
    with wandb.init(project="snippets", config={"lr": lr}) as run:
        run.log({"loss": lr * 2})
        ids.add(run.id)
        print(run.config.lr, run.summary["loss"])
print(len(ids))
