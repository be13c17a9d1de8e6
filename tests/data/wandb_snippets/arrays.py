# logging numpy values, as training loops do
import numpy as np
import wandb

run = wandb.init(project="snippets")
run.log({"zero_d": np.array(2.5), "one": np.array([1.5]), "scalar": np.float32(0.25)})
run.log({"int": np.int64(3), "mean": np.mean([1.0, 2.0])})
print(run.summary["zero_d"], run.summary["one"], run.summary["scalar"])
print(run.summary["int"], run.summary["mean"])
run.finish()
