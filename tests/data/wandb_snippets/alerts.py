# wandb docs, "Send alerts": wandb.alert and run.alert with levels
from datetime import timedelta

import wandb

run = wandb.init(project="snippets")
for acc in (0.5, 0.2, 0.1):
    run.log({"acc": acc})
    if acc < 0.3:
        wandb.alert(
            title="Low accuracy",
            text=f"Accuracy {acc} is below 0.3",
            level=wandb.AlertLevel.WARN,
            wait_duration=timedelta(minutes=5),
        )
run.alert(title="Done", text="training finished", level=wandb.AlertLevel.INFO)
print(wandb.AlertLevel.WARN.value, wandb.AlertLevel.ERROR.value, wandb.AlertLevel.INFO.value)
run.finish()
