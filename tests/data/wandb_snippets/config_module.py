# wandb docs, "Configure experiments": wandb.config after wandb.init(), an object's attributes
import types

import wandb

wandb.init(project="snippets", config={"epochs": 4})
wandb.config.update(types.SimpleNamespace(learning_rate=0.01, model="cnn"))
wandb.config.update({"epochs": 4})  # the same value again is no change
print(wandb.config.epochs, wandb.config.learning_rate, wandb.config["model"])
print(sorted(wandb.config.keys()))
wandb.finish()
