"""Arrays as images: HW, HWC or CHW; float in 0..1 or integers in 0..255 -> uint8 HWC for Pillow."""

from __future__ import annotations

from typing import Any

from nbtrack.media.optional import numpy

MAX_PIXELS = 50_000_000
CHANNELS = (1, 3, 4)
MODES = {1: "L", 3: "RGB", 4: "RGBA"}
SHAPES = "HW (grey), HWC or CHW with 1, 3 or 4 channels"


def to_hwc(array: Any) -> Any:
    """``array`` as (height, width, channels); ValueError for any other shape."""
    np = numpy()
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    elif array.ndim == 3 and array.shape[-1] not in CHANNELS and array.shape[0] in CHANNELS:
        array = np.transpose(array, (1, 2, 0))
    if array.ndim != 3 or array.shape[-1] not in CHANNELS or 0 in array.shape:
        raise ValueError(f"an image array of shape {tuple(array.shape)} is not {SHAPES}")
    return array


def check_size(height: int, width: int) -> None:
    if height * width > MAX_PIXELS:
        raise ValueError(
            f"the image is {width}x{height} ({height * width / 1e6:.0f} megapixels), over the "
            f"{MAX_PIXELS // 1_000_000} megapixel limit; resize it before logging"
        )


def to_uint8(array: Any) -> Any:
    """Pixels as uint8: floats are taken as 0..1 (NaN refused), integers as 0..255."""
    np = numpy()
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.uint8) * 255
    if kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(
                "the image has NaN or infinite pixels; replace them first, e.g. np.nan_to_num(x)"
            )
        if array.size and array.max() > 1.0:  # wandb's rule: floats above 1 are 0..255 already
            return np.clip(array, 0, 255).astype(np.uint8)
        return (np.clip(array, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    if kind in "iu":
        return array if array.dtype == np.uint8 else np.clip(array, 0, 255).astype(np.uint8)
    raise TypeError(
        f"image pixels of dtype {array.dtype} are not supported; use uint8 (0..255) or float "
        "(0..1) values"
    )


def prepare(array: Any) -> Any:
    """A checked, contiguous uint8 HWC copy of ``array``."""
    np = numpy()
    hwc = to_hwc(array)
    check_size(hwc.shape[0], hwc.shape[1])
    return np.ascontiguousarray(to_uint8(hwc))


def mode_of(hwc: Any, mode: str | None) -> str:
    return mode or MODES[hwc.shape[-1]]


def png(hwc: Any, mode: str) -> bytes:
    """PNG bytes of a uint8 HWC array."""
    import io

    from nbtrack.media.optional import pil

    image = pil().fromarray(hwc[:, :, 0] if hwc.shape[-1] == 1 else hwc)
    if image.mode != mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=6)
    return buffer.getvalue()
