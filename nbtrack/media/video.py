"""``nbtrack.Video``: frame arrays (stored as GIF, or MP4/WebM with imageio) or video files."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from nbtrack.media import base, pixels
from nbtrack.media.optional import as_array, check_pil, numpy, pil

FORMATS = ("gif", "mp4", "webm", "ogg")
FFMPEG_EXTRA = "pip install 'imageio[ffmpeg]'"


class Video(base.Media):
    """``Video(frames, fps=4)``: frames as (time, channel, height, width), as wandb, or with a
    leading batch axis (laid side by side); ``Video("clip.mp4")`` stores the file as it is."""

    _type = "video-file"

    def __init__(
        self,
        data_or_path: Any,
        caption: Any = None,
        fps: int | None = None,
        format: str | None = None,
    ) -> None:
        self._caption = base.check_caption(caption)
        self._fps = 4 if fps is None else int(fps)
        self._format = (format or "gif").lower()
        if self._format not in FORMATS:
            raise ValueError(f"Video format must be one of {FORMATS}, not {format!r}.")
        self._path: Path | None = None
        self._frames: Any = None
        if isinstance(data_or_path, str | os.PathLike):
            self._path = Path(data_or_path)
            if not self._path.is_file():
                raise ValueError(f"Video(): no video file at {str(self._path)!r}; check the path.")
        else:
            check_pil()  # frames are encoded later, on the writer thread: Pillow is checked here
            self._frames = as_array(data_or_path)

    def _prepare(self, key: str) -> base.Prepared:
        if self._path is not None:
            ext = self._path.suffix.lower().lstrip(".")
            reference, job = base.stored(self._path.read_bytes(), ext, self._type)
            return base.Prepared(base.with_optional(reference, caption=self._caption), (job,))
        frames = _frames(self._frames)
        if self._format != "gif":
            _imageio()
        fps, ext = self._fps, self._format
        header = f"video {frames.shape} {fps} {ext}"
        reference, job = base.encoded(
            header, frames.tobytes(), ext, self._type, lambda: _encode(frames, fps, ext)
        )
        reference.update(fps=fps, frames=int(frames.shape[0]))
        reference.update(width=int(frames.shape[2]), height=int(frames.shape[1]))
        return base.Prepared(base.with_optional(reference, caption=self._caption), (job,))

    def __repr__(self) -> str:
        return f"<nbtrack.Video caption={self._caption!r}>"


def _frames(array: Any) -> Any:
    """(time, height, width, channel) uint8 frames from (T, C, H, W) or (B, T, C, H, W)."""
    np = numpy()
    if array.ndim == 5:  # a batch: side by side
        array = np.concatenate(list(array), axis=-1)
    if array.ndim != 4 or array.shape[1] not in pixels.CHANNELS:
        raise ValueError(
            f"video frames must be (time, channel, height, width) with 1, 3 or 4 channels, "
            f"not shape {tuple(array.shape)}"
        )
    frames = np.transpose(array, (0, 2, 3, 1))
    pixels.check_size(frames.shape[1] * frames.shape[0], frames.shape[2])
    return np.ascontiguousarray(pixels.to_uint8(frames))


def _imageio() -> Any:
    try:
        import imageio.v3 as iio  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError(
            f"Video(format='mp4'/'webm') needs imageio with ffmpeg: {FFMPEG_EXTRA}; "
            "or use format='gif' (Pillow only)."
        ) from None
    return iio


def _encode(frames: Any, fps: int, ext: str) -> bytes:
    if ext != "gif":
        return bytes(_imageio().imwrite("<bytes>", frames, extension=f".{ext}", fps=fps))
    images = [pil().fromarray(f[:, :, 0] if f.shape[-1] == 1 else f) for f in frames]
    buffer = io.BytesIO()
    duration = max(1, round(1000 / max(fps, 1)))
    images[0].save(
        buffer, format="gif", save_all=True, append_images=images[1:], duration=duration, loop=0
    )
    return buffer.getvalue()
