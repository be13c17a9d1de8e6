"""wandb compatibility: its settings names, feature switches, and the calls nbtrack
does not support."""
