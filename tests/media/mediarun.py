"""Helpers for the media tests: a run's records, and one value of every media type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nbtrack
from nbtrack import runlog


def records(run: nbtrack.Run) -> list[tuple[str, Any]]:
    return [(kind, payload) for _, kind, payload in runlog.read(Path(run.dir) / runlog.LOG_NAME)]


def history(run: nbtrack.Run) -> list[dict[str, Any]]:
    return [payload for kind, payload in records(run) if kind == "h"]


def media_files(run: nbtrack.Run) -> dict[str, bytes]:
    folder = Path(run.dir) / "files"
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted((folder / "media").glob("*"))
    }


def pixels(seed: int = 0, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def every_type(tmp: Path) -> dict[str, Any]:
    """One value of each type, as a training script would log them."""
    from PIL import Image as PILImage

    picture = tmp / "picture.png"
    PILImage.fromarray(pixels(9)).save(picture)
    table = nbtrack.Table(columns=["id", "image", "score"])
    table.add_data(0, nbtrack.Image(pixels(1)), 0.5)
    table.add_data(1, nbtrack.Image(pixels(2)), None)
    boxes = {"predictions": {"box_data": [_box()], "class_labels": {1: "cat"}}}
    masks = {"truth": {"mask_data": np.eye(32, dtype=np.uint8), "class_labels": {1: "cat"}}}
    t = np.linspace(0, 1, 8000)
    frames = np.stack([np.full((3, 8, 8), 80 * i, dtype=np.uint8) for i in range(3)])
    return {
        "array": nbtrack.Image(pixels(0), caption="zero", boxes=boxes, masks=masks),
        "float": nbtrack.Image(np.linspace(0, 1, 3 * 8 * 8).reshape(3, 8, 8)),
        "pil": nbtrack.Image(PILImage.fromarray(pixels(3))),
        "file": nbtrack.Image(str(picture)),
        "gallery": [nbtrack.Image(pixels(4)), nbtrack.Image(pixels(5))],
        "table": table,
        "hist": nbtrack.Histogram(np.arange(100), num_bins=10),
        "html": nbtrack.Html("<p>hello</p>"),
        "audio": nbtrack.Audio(np.sin(t * 440 * 6.28), sample_rate=8000, caption="la"),
        "video": nbtrack.Video(frames, fps=2),
        "cloud": nbtrack.Object3D(np.arange(30, dtype=float).reshape(10, 3)),
        "roc": nbtrack.plot.roc_curve(
            [0, 1, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]
        ),
    }


def _box() -> dict[str, Any]:
    return {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.1, "maxY": 0.5}, "class_id": 1}
