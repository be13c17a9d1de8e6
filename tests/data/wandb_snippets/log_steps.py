# wandb docs, "Log objects and media": step=, commit=False, several calls per step
import wandb

run = wandb.init(project="snippets")
run.log({"a": 1}, commit=False)
run.log({"b": 2})
print(run.step, run.summary["a"], run.summary["b"])
run.log({"c": 3}, step=5)
run.log({"d": 4}, step=5)
run.log({"e": 5}, step=7)
print(run.step, run.summary["c"], run.summary["d"])
run.log({"f": 6})
print(run.step, run.summary["e"], run.summary["f"])
run.log({"nested": {"x": 1, "y": {"z": 2}}})
print(run.summary["nested"]["y"]["z"], run.step)
run.finish()
