# wandb docs, "wandb.Run" attributes
import wandb

run = wandb.init(project="snippets")
print(run.path.split("/")[-2:] == ["snippets", run.id], run.sweep_id)
print(run.resumed, run.step, isinstance(run.start_time, float))
run.log({"a": 1})
run.log({"a": 2})
print(run.step)
run.log({"a": 3}, step=10)
print(run.step)
run.finish()
