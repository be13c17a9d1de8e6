"""The one hook ``log()`` calls for rows holding something other than plain scalars.

Media values become references (their files queued), lists of images a gallery, numeric lists
and arrays of more than 32 values histograms (as wandb), pandas frames tables and matplotlib
figures images. Everything is checked before anything is written: a bad value raises a
``TypeError``/``ValueError`` naming its key.
"""

from __future__ import annotations

from typing import Any

from nbtrack.media import base
from nbtrack.media.histogram import Histogram, is_numeric_sequence

Jobs = list[base.FileJob]


def convert(data: dict[str, Any]) -> tuple[dict[str, Any], Jobs]:
    """``data`` with its media values replaced by references, and the files they need."""
    jobs: Jobs = []
    changed: dict[str, Any] = {}
    for key, value in data.items():
        if type(value) in (int, float, str, bool) or value is None:
            continue
        try:
            reference = _reference(key, value, jobs)
        except (TypeError, ValueError) as exc:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f"log(): value for key {key!r}: {exc}") from None
        if reference is not value:
            changed[key] = reference
    return ({**data, **changed} if changed else data), jobs


def _reference(key: str, value: Any, jobs: Jobs) -> Any:
    media = _as_media(value)
    if media is not None:
        prepared = media.prepare(key)
        jobs.extend(prepared.files)
        return prepared.reference
    if type(value) in (list, tuple) and value and all(isinstance(v, base.Media) for v in value):
        return _gallery(key, value, jobs)
    return value


def _as_media(value: Any) -> base.Media | None:
    if isinstance(value, base.Media):
        return value
    root = type(value).__module__.partition(".")[0]
    if root == "pandas" and type(value).__name__ == "DataFrame":
        from nbtrack.media.table import Table

        return Table(dataframe=value)
    if root == "matplotlib" and hasattr(value, "savefig"):
        from nbtrack.media.image import Image

        return Image(value)
    if is_numeric_sequence(value):
        return Histogram(value)
    return None


def _gallery(key: str, items: Any, jobs: Jobs) -> Any:
    references = []
    for index, item in enumerate(items):
        prepared = item.prepare(f"{key}[{index}]")
        jobs.extend(prepared.files)
        references.append(prepared.reference)
    if all(r.get("_type") == "image-file" for r in references):
        return {"_type": "images/separated", "count": len(references), "items": references}
    return references
