# wandb docs, "Configure experiments": dataclasses, include keys, attribute and item access
import dataclasses

import wandb


@dataclasses.dataclass
class TrainConfig:
    lr: float = 0.001
    epochs: int = 3
    arch: str = "resnet18"
    seed: int = 0


run = wandb.init(project="snippets", config=TrainConfig(), config_include_keys=["lr", "arch"])
print(sorted(run.config.keys()))
run.config.update({"optimizer": {"name": "adam", "betas": [0.9, 0.999]}})
run.config.batch_size = 64
run.config["dropout"] = 0.2
print(run.config.optimizer["name"], run.config.optimizer["betas"], run.config.batch_size)
print(sorted(run.config.as_dict().keys()))
print(dict(sorted(run.config.items()))["dropout"], run.config.get("nope", "fallback"))
run.finish()
