"""``nbtrack.util``: the helpers of ``wandb.util`` that user code calls."""

from __future__ import annotations

from nbtrack.names import generate_id as _generate_id


def generate_id(length: int = 8) -> str:
    """A random run ID: ``length`` characters from ``[a-z0-9]`` (wandb's format)."""
    return _generate_id(length)


__all__ = ["generate_id"]
