"""Values from array libraries (numpy, torch, jax, tensorflow) as plain numbers and lists.

A value is recognised by the module of its type (``type(value).__module__``), so none of these
libraries is imported unless the value is one of theirs. As in wandb, a 0-d or one-element array
or tensor becomes a number (``torch.tensor(0.5)`` -> ``0.5``); a larger one becomes a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LIBRARIES = frozenset({"numpy", "torch", "jax", "jaxlib", "tensorflow"})


def library(value: Any) -> str | None:
    """``"torch"`` for a torch tensor, ... ; None for anything else."""
    root = type(value).__module__.partition(".")[0]
    return root if root in LIBRARIES else None


def plain(value: Any) -> Any:
    """A number (one element) or a list (more) for an array-library value; raises TypeError else."""
    root = library(value)
    if root == "torch" and hasattr(value, "detach") and hasattr(value, "numel"):
        value = value.detach().cpu()
        return value.item() if value.numel() == 1 else value.tolist()
    if root == "tensorflow" and hasattr(value, "numpy"):
        value = value.numpy()
    if root is not None and getattr(value, "size", None) == 1 and hasattr(value, "item"):
        return value.item()
    if root is not None and hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


class Converter:
    """orjson's ``default=`` hook; remembers that it converted something (``used``)."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False

    def __call__(self, value: Any) -> Any:
        converted = plain(value)
        self.used = True
        return converted


def singleton(value: Any) -> bool:
    """A one-element numpy array (which orjson would write as a list)."""
    return type(value).__module__ == "numpy" and getattr(value, "size", 0) == 1


def converted(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """``data`` with its array-library values made plain, or None when it has none."""
    found = {}
    for key, value in data.items():
        if library(value) is not None:
            try:
                found[key] = plain(value)
            except (TypeError, ValueError, AttributeError, RuntimeError):
                continue  # left as it is, for the error that names it
    return {**data, **found} if found else None
