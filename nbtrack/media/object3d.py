"""``nbtrack.Object3D``: point clouds from arrays (stored as JSON) or 3-D model files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from nbtrack.media import base
from nbtrack.media.optional import as_array, numpy

FILE_FORMATS = ("obj", "gltf", "glb", "stl", "pts.json")
WIDTHS = (3, 4, 6)


class Object3D(base.Media):
    """``Object3D(points)``: an (N, 3) array of x, y, z; (N, 4) adds a category, (N, 6) r, g, b;
    or ``Object3D("mesh.glb")`` for a model file (obj, gltf, glb, stl), stored as it is."""

    _type = "object3D-file"

    def __init__(self, data_or_path: Any, caption: Any = None) -> None:
        self._caption = base.check_caption(caption)
        self._path: Path | None = None
        self._points: Any = None
        if isinstance(data_or_path, str | os.PathLike):
            self._path = Path(data_or_path)
            if not self._path.is_file():
                raise ValueError(f"Object3D(): no file at {str(self._path)!r}; check the path.")
        elif isinstance(data_or_path, dict):
            raise TypeError(
                "Object3D() of a scene dict (boxes, vectors) is not supported; pass an (N, 3|4|6) "
                "point array or a model file."
            )
        else:
            self._points = as_array(data_or_path)

    def _prepare(self, key: str) -> base.Prepared:
        if self._path is not None:
            name = self._path.name.lower()
            ext = next((f for f in FILE_FORMATS if name.endswith("." + f)), None)
            if ext is None:
                raise ValueError(
                    f"3-D files must be one of {FILE_FORMATS}, not {self._path.name!r}"
                )
            reference, job = base.stored(self._path.read_bytes(), ext, self._type)
        else:
            points = _points(self._points)
            body = orjson.dumps({"type": "lidar/beta", "points": points.tolist()})
            reference, job = base.stored(body, "pts.json", self._type)
            reference["npoints"] = int(points.shape[0])
        return base.Prepared(base.with_optional(reference, caption=self._caption), (job,))


def _points(array: Any) -> Any:
    np = numpy()
    if array.ndim != 2 or array.shape[1] not in WIDTHS or array.dtype.kind not in "biuf":
        raise ValueError(
            f"a point cloud must be a numeric (N, 3), (N, 4) or (N, 6) array, not shape "
            f"{tuple(array.shape)} of {array.dtype}"
        )
    if not np.isfinite(array).all():
        raise ValueError("the point cloud has NaN or infinite coordinates; drop those points")
    return array
