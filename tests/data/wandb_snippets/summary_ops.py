# wandb docs, "Log summary metrics": update, pop, nested values, get
import wandb

run = wandb.init(project="snippets")
for step in range(5):
    run.log({"loss": 1 / (step + 1), "metrics": {"acc": step / 10, "f1": step / 20}})
run.summary["best_loss"] = 0.2
run.summary.update({"test": {"acc": 0.91, "loss": 0.3}})
print(run.summary["loss"], run.summary["metrics"]["acc"], run.summary["test"]["acc"])
print(sorted(run.summary.keys()))
print(run.summary.get("best_loss"), run.summary.get("absent", "default"))
del run.summary["best_loss"]
print(sorted(run.summary.keys()))
run.finish()
