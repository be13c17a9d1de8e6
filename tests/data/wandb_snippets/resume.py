# wandb docs, "Resume a run": the same id, resume="allow", and the step goes on
import wandb

run = wandb.init(project="snippets", id="resumeme1", resume="allow")
print(run.resumed)
for i in range(5):
    run.log({"loss": 1 / (i + 1)})
run.summary["best"] = 0.2
run.finish()
run = wandb.init(project="snippets", id="resumeme1", resume="allow")
print(run.id)
run.log({"loss": 0.1})
print(run.summary["loss"])
run.finish()
