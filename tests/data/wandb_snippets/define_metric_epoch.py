# wandb docs, "Customize log axes": a custom x-axis per metric group, and summary choices
import wandb

run = wandb.init(project="snippets")
run.define_metric("epoch")
run.define_metric("val/*", step_metric="epoch", summary="last,first")
run.define_metric("grad_norm", hidden=True)
m = run.define_metric("test/acc", summary="max", step_metric="epoch")
print(m.name, m.step_metric, m.summary, m.hidden)
for epoch in range(3):
    for batch in range(4):
        run.log({"train/loss": 1 / (epoch * 4 + batch + 1), "grad_norm": 0.1 * batch})
    run.log({"epoch": epoch, "val/loss": 0.5 - 0.1 * epoch, "val/acc": 0.7 + 0.05 * epoch})
    run.log({"test/acc": 0.6 + 0.1 * (epoch % 2)})
print(run.summary["val/loss"]["first"], round(run.summary["val/loss"]["last"], 6))
print(run.summary["test/acc"]["max"], run.summary["epoch"], run.summary["grad_norm"])
print(run.step)
run.finish()
