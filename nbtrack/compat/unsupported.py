"""wandb features nbtrack accepts but does not do yet: one warning each, once per process."""

from __future__ import annotations

from nbtrack import console

_warned: set[str] = set()
NOT_YET = {
    "sync_tensorboard": "TensorBoard event files are not synced; log the values with log()",
    "monitor_gym": "gym environments are not recorded; log videos or values yourself",
}


def warn_init(**arguments: object) -> None:
    """Warn once per feature that ``init(feature=True)`` asked for something nbtrack lacks."""
    for name, value in arguments.items():
        if value and name not in _warned:
            _warned.add(name)
            console.say(f"init({name}=True) is accepted but not supported yet: {NOT_YET[name]}.")
