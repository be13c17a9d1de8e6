"""``nbtrack.Image``: numpy/torch/jax arrays, PIL images, matplotlib figures or image files."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from nbtrack.media import base, overlays, pixels
from nbtrack.media.optional import as_array, check_pil, module_of, pil

FILE_TYPES = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "gif": "gif", "webp": "webp", "bmp": "bmp"}


class Image(base.Media):
    """An image to log, as wandb's: ``nbtrack.log({"pred": nbtrack.Image(array, caption="cat")})``.

    ``data_or_path``: an array (HW, HWC or CHW; float 0..1 or integers 0..255), a torch/jax tensor,
    a PIL image, a matplotlib figure, or the path of an image file (stored as it is). ``mode`` is
    a Pillow mode to convert to; ``boxes``/``masks`` are overlays (see docs/media-format.md).
    """

    _type = "image-file"

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: Any = None,
        grouping: int | None = None,
        classes: Any = None,
        boxes: Any = None,
        masks: Any = None,
        file_type: str | None = None,
    ) -> None:
        self._mode = mode
        self._caption = base.check_caption(caption)
        self._grouping = grouping
        self._classes = _classes(classes)
        self._boxes = overlays.boxes(boxes) if boxes is not None else None
        self._masks = masks
        self._format = _file_type(file_type)
        self._path: Path | None = None
        self._array: Any = None
        self._pil: Any = None
        self._bytes: bytes | None = None
        self._capture(data_or_path)

    def _capture(self, data: Any) -> None:
        """Take a copy of what the caller gave, so later changes to it do not reach the log."""
        root = module_of(data)
        if isinstance(data, Image):
            self._path, self._array, self._pil = data._path, data._array, data._pil
            self._bytes = data._bytes
        elif isinstance(data, str | os.PathLike):
            self._path = _existing(Path(data))
        elif root == "PIL":
            self._pil = data.copy()
        elif root == "matplotlib" and hasattr(data, "savefig"):
            buffer = io.BytesIO()
            data.savefig(buffer, format="png")
            self._bytes = buffer.getvalue()
        elif root in ("numpy", "torch", "jax", "jaxlib", "tensorflow") or isinstance(data, list):
            _check_shape(getattr(data, "shape", None))  # before copying a huge array
            check_pil()  # encoded later on the writer thread: a missing Pillow is said here
            self._array = as_array(data)
        else:
            raise TypeError(
                f"Image() takes an array, a tensor, a PIL image, a matplotlib figure or a file "
                f"path, not {type(data).__name__}."
            )

    @property
    def caption(self) -> str | None:
        return self._caption

    def _prepare(self, key: str) -> base.Prepared:
        reference, job, size = self._file()
        reference = base.with_optional(
            reference, caption=self._caption, grouping=self._grouping, classes=self._classes
        )
        if size is not None:
            reference.update(width=size[0], height=size[1])
        if self._boxes is not None:
            reference["boxes"] = self._boxes
        jobs = [job]
        if self._masks is not None:
            reference["masks"], mask_jobs = overlays.masks(self._masks, size)
            jobs += mask_jobs
        return base.Prepared(reference, tuple(jobs))

    def _file(self) -> tuple[base.Reference, base.FileJob, tuple[int, int] | None]:
        if self._path is not None:
            data = self._path.read_bytes()
            ext = FILE_TYPES.get(self._path.suffix.lower().lstrip("."), "png")
            reference, job = base.stored(data, ext, self._type)
            return reference, job, _size_of(data)
        if self._bytes is not None:
            reference, job = base.stored(self._bytes, "png", self._type)
            return reference, job, _size_of(self._bytes)
        if self._pil is not None:
            return self._from_pil(self._pil)
        return self._from_array(pixels.prepare(self._array))

    def _from_array(self, hwc: Any) -> tuple[base.Reference, base.FileJob, tuple[int, int]]:
        mode = pixels.mode_of(hwc, self._mode)
        ext = self._format or "png"
        header = f"image {hwc.shape} {mode} {ext}"
        source = memoryview(hwc)  # hashed in place: the pixels are C-contiguous
        reference, job = base.encoded(header, source, ext, self._type, _encoder(hwc, mode, ext))
        reference["mode"] = mode
        return reference, job, (int(hwc.shape[1]), int(hwc.shape[0]))

    def _from_pil(self, image: Any) -> tuple[base.Reference, base.FileJob, tuple[int, int]]:
        pixels.check_size(image.size[1], image.size[0])
        mode = self._mode or image.mode
        ext = self._format or "png"
        header = f"pil {image.size} {image.mode} {mode} {ext}"

        def encode() -> bytes:
            return _save(image.convert(mode) if image.mode != mode else image, ext)

        reference, job = base.encoded(header, image.tobytes(), ext, self._type, encode)
        reference["mode"] = mode
        return reference, job, (int(image.size[0]), int(image.size[1]))

    @property
    def image(self) -> Any:
        """This image as a PIL image (as wandb's ``Image.image``)."""
        if self._pil is not None:
            return self._pil
        if self._array is not None:
            hwc = pixels.prepare(self._array)
            return pil().fromarray(hwc[:, :, 0] if hwc.shape[-1] == 1 else hwc)
        data = self._bytes if self._bytes is not None else Path(str(self._path)).read_bytes()
        return pil().open(io.BytesIO(data))

    def _repr_png_(self) -> bytes:
        return _save(self.image, "png")

    def __repr__(self) -> str:
        return f"<nbtrack.Image caption={self._caption!r}>"


def _encoder(hwc: Any, mode: str, ext: str) -> Any:
    def encode() -> bytes:
        if ext == "png":
            return pixels.png(hwc, mode)
        image = pil().fromarray(hwc[:, :, 0] if hwc.shape[-1] == 1 else hwc)
        return _save(image.convert(mode) if image.mode != mode else image, ext)

    return encode


def _save(image: Any, ext: str) -> bytes:
    buffer = io.BytesIO()
    if ext == "jpg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(buffer, format="jpeg" if ext == "jpg" else ext)
    return buffer.getvalue()


def _size_of(data: bytes) -> tuple[int, int] | None:
    try:
        with pil().open(io.BytesIO(data)) as image:
            return int(image.size[0]), int(image.size[1])
    except Exception:  # no Pillow, or a format it cannot read: the size stays unknown
        return None


def _check_shape(shape: Any) -> None:
    if shape is not None and len(shape) >= 2:
        dims = sorted((int(d) for d in shape), reverse=True)
        try:
            pixels.check_size(dims[0], dims[1])
        except ValueError as exc:
            raise ValueError(f"Image(): {exc}") from None


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise ValueError(f"Image(): no image file at {str(path)!r}; check the path.")
    return path


def _file_type(file_type: str | None) -> str | None:
    if file_type is None:
        return None
    found = FILE_TYPES.get(file_type.lower().lstrip("."))
    if found is None:
        raise ValueError(f"file_type {file_type!r} is not one of {sorted(FILE_TYPES)}.")
    return found


def _classes(classes: Any) -> list[dict[str, Any]] | None:
    if classes is None:
        return None
    items = getattr(classes, "_class_set", classes)
    if isinstance(items, dict):
        items = [{"id": int(k), "name": str(v)} for k, v in items.items()]
    if not isinstance(items, list | tuple) or not all(isinstance(c, dict) for c in items):
        raise TypeError("classes must be a list of {'id': int, 'name': str} dicts.")
    return [dict(c) for c in items]
