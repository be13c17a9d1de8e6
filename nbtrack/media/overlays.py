"""Bounding boxes and segmentation masks of an ``Image``, checked and stored as wandb lays them out.

``boxes={"predictions": {"box_data": [{"position": {...}, "class_id": 1, ...}], "class_labels":
{1: "cat"}}}``; ``masks={"truth": {"mask_data": array (H, W) of class ids, "class_labels":
{...}}}``.
A mask is stored as a PNG (mode ``L``) of its own, beside the image.
"""

from __future__ import annotations

from typing import Any

from nbtrack.media import base
from nbtrack.media.optional import as_array, numpy

CORNERS = frozenset({"minX", "maxX", "minY", "maxY"})
CENTRE = frozenset({"middle", "width", "height"})


def boxes(groups: Any) -> dict[str, Any]:
    """The boxes of each group, checked: positions, class ids, labels as string keys."""
    if not isinstance(groups, dict):
        raise TypeError("boxes must be a dict of group name -> {'box_data': [...], ...}")
    return {str(name): _box_group(name, group) for name, group in groups.items()}


def _box_group(name: Any, group: Any) -> dict[str, Any]:
    if not isinstance(group, dict) or not isinstance(group.get("box_data"), list | tuple):
        raise TypeError(f"boxes[{name!r}] must be a dict with a 'box_data' list")
    out: dict[str, Any] = {"box_data": [_box(name, box) for box in group["box_data"]]}
    if group.get("class_labels") is not None:
        out["class_labels"] = labels(group["class_labels"])
    return out


def _box(name: Any, box: Any) -> dict[str, Any]:
    position = box.get("position") if isinstance(box, dict) else None
    keys = set(position) if isinstance(position, dict) else set()
    if not (keys >= CORNERS or keys >= CENTRE):
        raise ValueError(
            f"a box of boxes[{name!r}] needs 'position' with minX/maxX/minY/maxY or "
            f"middle/width/height; got {box!r}"
        )
    assert isinstance(box, dict)
    if "class_id" in box and not isinstance(box["class_id"], int):
        raise TypeError(f"class_id of a box in boxes[{name!r}] must be an int")
    return {
        k: box[k] for k in ("position", "class_id", "box_caption", "scores", "domain") if k in box
    }


def labels(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise TypeError(f"class_labels must be a dict of class id -> name, not {mapping!r}")
    return {str(int(k)): str(v) for k, v in mapping.items()}


def masks(groups: Any, size: tuple[int, int] | None) -> tuple[dict[str, Any], list[base.FileJob]]:
    """Each mask group as a reference to its PNG (the jobs write them)."""
    if not isinstance(groups, dict):
        raise TypeError("masks must be a dict of group name -> {'mask_data': array, ...}")
    refs: dict[str, Any] = {}
    jobs: list[base.FileJob] = []
    for name, group in groups.items():
        refs[str(name)], job = _mask(name, group, size)
        jobs.append(job)
    return refs, jobs


def _mask(name: Any, group: Any, size: tuple[int, int] | None) -> tuple[dict[str, Any], Any]:
    if not isinstance(group, dict) or group.get("mask_data") is None:
        raise TypeError(f"masks[{name!r}] must be a dict with 'mask_data' (an array of class ids)")
    data = as_array(group["mask_data"])
    if data.ndim != 2 or data.dtype.kind not in "biu" or (data.size and data.min() < 0):
        raise ValueError(
            f"masks[{name!r}]['mask_data'] must be a 2-D array of class ids 0..255, got shape "
            f"{tuple(data.shape)} of {data.dtype}"
        )
    if size is not None and (data.shape[1], data.shape[0]) != size:
        raise ValueError(f"masks[{name!r}] is {data.shape[1]}x{data.shape[0]}, the image {size}")
    pixels = numpy().ascontiguousarray(data.clip(0, 255).astype("uint8"))

    def encode() -> bytes:
        from nbtrack.media import pixels as px

        return px.png(pixels[:, :, None], "L")

    header = f"mask {pixels.shape}"
    ref, job = base.encoded(header, pixels.tobytes(), "png", "mask", encode)
    del ref["_type"]
    ref.update(width=int(pixels.shape[1]), height=int(pixels.shape[0]))
    if group.get("class_labels") is not None:
        ref["class_labels"] = labels(group["class_labels"])
    return ref, job
