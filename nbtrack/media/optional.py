"""The optional libraries media needs (Pillow, numpy), imported on first use with a clear error."""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

EXTRA = "pip install 'nbtrack[media]'"


def numpy() -> Any:
    """The numpy module; ImportError naming the extra when it is not installed."""
    try:
        import numpy
    except ImportError:
        raise ImportError(f"nbtrack media needs numpy: {EXTRA}") from None
    return numpy


PIL_MISSING = f"nbtrack images, videos and masks need Pillow: {EXTRA}"


def pil() -> Any:
    """The ``PIL.Image`` module; ImportError naming the extra when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(PIL_MISSING) from None
    return Image


@functools.cache
def check_pil() -> None:
    """ImportError naming the extra when Pillow is not installed, found without importing it
    (values encoded later, on the writer thread, import it there)."""
    if importlib.util.find_spec("PIL") is None:
        raise ImportError(PIL_MISSING)


def module_of(value: Any) -> str:
    """The top-level module of ``value``'s type: ``"torch"`` for a tensor, without importing it."""
    return type(value).__module__.partition(".")[0]


def as_array(value: Any) -> Any:
    """A numpy array from numpy, torch, jax or tensorflow values, lists and tuples (a copy)."""
    np = numpy()
    root = module_of(value)
    if root == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    elif root == "tensorflow" and hasattr(value, "numpy"):
        value = value.numpy()
    return np.array(value, copy=True)
