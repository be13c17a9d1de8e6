"""``nbtrack.Audio``: sample arrays (stored as 16-bit WAV) or audio files (stored as they are)."""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import Any

from nbtrack.media import base
from nbtrack.media.optional import as_array, numpy

FORMATS = ("wav", "mp3", "ogg", "flac")


class Audio(base.Media):
    """``Audio(samples, sample_rate=16000)`` (1-D mono, or (samples, channels); float -1..1 or
    int16) or ``Audio("clip.wav")``."""

    _type = "audio-file"

    def __init__(
        self, data_or_path: Any, sample_rate: int | None = None, caption: Any = None
    ) -> None:
        self._caption = base.check_caption(caption)
        self._rate = sample_rate
        self._path: Path | None = None
        self._samples: Any = None
        if isinstance(data_or_path, str | os.PathLike):
            self._path = Path(data_or_path)
            if not self._path.is_file():
                raise ValueError(f"Audio(): no audio file at {str(self._path)!r}; check the path.")
        else:
            if sample_rate is None:
                raise ValueError("Audio() of an array needs sample_rate=..., e.g. 16000.")
            self._samples = as_array(data_or_path)

    def _prepare(self, key: str) -> base.Prepared:
        if self._path is not None:
            ext = self._path.suffix.lower().lstrip(".")
            if ext not in FORMATS:
                raise ValueError(f"audio files must be one of {FORMATS}, not {self._path.name!r}")
            reference, job = base.stored(self._path.read_bytes(), ext, self._type)
            return base.Prepared(base.with_optional(reference, caption=self._caption), (job,))
        pcm, channels = _pcm16(self._samples)
        rate = int(self._rate or 0)
        header = f"audio {rate} {channels}"
        reference, job = base.encoded(
            header, pcm, "wav", self._type, lambda: _wav(pcm, rate, channels)
        )
        duration = len(pcm) / 2 / channels / rate
        reference.update(sample_rate=rate, channels=channels, duration=duration)
        return base.Prepared(base.with_optional(reference, caption=self._caption), (job,))

    def __repr__(self) -> str:
        return f"<nbtrack.Audio caption={self._caption!r}>"


def _pcm16(samples: Any) -> tuple[bytes, int]:
    np = numpy()
    if samples.ndim == 1:
        samples = samples[:, np.newaxis]
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(
            f"audio samples must be (samples,) or (samples, channels), not {samples.shape}"
        )
    if samples.dtype.kind == "f":
        if not np.isfinite(samples).all():
            raise ValueError("the audio has NaN or infinite samples; replace them first")
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    elif samples.dtype.kind in "iu":
        samples = samples.astype("<i2")
    else:
        raise TypeError(
            f"audio samples of dtype {samples.dtype} are not supported; use float or int16"
        )
    return np.ascontiguousarray(samples).tobytes(), int(samples.shape[1])


def _wav(pcm: bytes, rate: int, channels: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as stream:
        stream.setnchannels(channels)
        stream.setsampwidth(2)
        stream.setframerate(rate)
        stream.writeframes(pcm)
    return buffer.getvalue()
