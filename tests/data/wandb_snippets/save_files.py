# wandb docs, "Save files": wandb.save with a glob, policies
import os

import wandb

os.makedirs("ckpt", exist_ok=True)
for name in ("a.ckpt", "b.ckpt", "notes.txt"):
    with open(os.path.join("ckpt", name), "w") as f:
        f.write(name)
run = wandb.init(project="snippets")
wandb.save("ckpt/*.ckpt", policy="now")
run.save("ckpt/notes.txt", policy="end")
run.finish()
saved = sorted(f for d, _, fs in os.walk(run.dir) for f in fs if os.path.basename(d) == "ckpt")
print(saved)
