# wandb docs, "Log summary metrics"
import wandb

run = wandb.init(project="snippets")
run.log({"train": {"loss": 0.5, "acc": 0.8}})
run.log({"train": {"loss": 0.4, "acc": 0.9}})
print(run.summary["train"]["loss"], run.summary["train"]["acc"])
run.summary["best_acc"] = 0.95
run.summary.update({"final": 1, "test": {"f1": 0.7}})
print("best_acc" in run.summary.keys(), run.summary.get("final"), run.summary.get("missing"))  # noqa: SIM118
print(run.summary["test"]["f1"])
del run.summary["final"]
print("final" in run.summary.keys())  # noqa: SIM118 - wandb 0.31: no `in`
run.finish()
