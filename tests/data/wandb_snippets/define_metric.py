# wandb docs, "Customize log axes" and "Customize summary metrics"
import wandb

run = wandb.init(project="snippets")
run.define_metric("train/step")
run.define_metric("train/*", step_metric="train/step")
run.define_metric("val/loss", summary="min")
run.define_metric("val/acc", summary="max,mean")
run.define_metric("lr", summary="none")
again = run.define_metric("val/loss", summary="max")  # merged with the first definition
print(again.name, again.summary, again.step_metric, again.step_sync)
for i, loss in enumerate([0.5, 0.3, 0.4, 0.2, 0.25]):
    run.log(
        {"train/loss": 1 / (i + 1), "train/step": i * 10, "val/loss": loss, "val/acc": i / 4 + 0.05}
    )
    run.log({"lr": 0.1})
print(run.summary["val/loss"]["min"], run.summary["val/loss"]["max"])
print(run.summary["val/acc"]["max"], round(run.summary["val/acc"]["mean"], 6))
print(run.summary["train/loss"], "lr" in run.summary.keys())  # noqa: SIM118 - wandb 0.31: no `in`
run.finish()
