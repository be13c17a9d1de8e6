# wandb docs, "Configure experiments": a YAML file of defaults
import wandb

with open("defaults.yaml", "w") as f:
    f.write("lr:\n  desc: learning rate\n  value: 0.003\n")
    f.write("batch_size:\n  value: 16\nmodel:\n  value: mlp\n")
run = wandb.init(project="snippets", config="defaults.yaml")
print(run.config.lr, run.config.batch_size, run.config.model)
run.finish()
