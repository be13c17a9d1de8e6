"""wandb media in history rows, as nbtrack media: images (``image-file``, the PNG/JPEG from the
run's ``files/media/``) and histograms keep their meaning; other media types are left out and
reported once per key. Also copies the run's ``files/`` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.importers.writer import RunWriter

IMAGE_FIELDS = ("width", "height", "caption", "format")


class MediaMapper:
    def __init__(self, files: Path, writer: RunWriter) -> None:
        self.files, self.writer = files, writer
        self.keys: set[str] = set()
        self.refused: set[tuple[str, str]] = set()

    def rewrite(self, row: dict[str, Any], nested: dict[str, dict[str, Any]]) -> None:
        """Put nested values into ``row``: media as references, the rest as dotted keys."""
        for top, fields in nested.items():
            kind = fields.get("_type")
            if kind is None:
                row.update({f"{top}.{k}": v for k, v in fields.items()})
                continue
            self.keys.add(top)
            ref = self._convert(top, str(kind), fields)
            if ref is not None:
                row[top] = ref

    def _convert(self, key: str, kind: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        if kind == "histogram" and "bins" in fields and "values" in fields:
            return {"_type": "histogram", "bins": fields["bins"], "values": fields["values"]}
        if kind == "image-file" and isinstance(fields.get("path"), str):
            return self._image(key, fields)
        if (key, kind) not in self.refused:
            self.refused.add((key, kind))
            self.writer.problems.append(f"{key}: wandb media type {kind!r} is not imported")
        return None

    def _image(self, key: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        source = self.files / fields["path"]
        try:
            data = source.read_bytes()
        except OSError:
            self.writer.problems.append(f"{key}: image file {fields['path']} is missing")
            return None
        ext = source.suffix.lstrip(".").lower() or "png"
        extra = {k: fields[k] for k in IMAGE_FIELDS if k in fields and k != "format"}
        return self.writer.add_media(data, ext, "image-file", **extra)

    def is_media(self, key: str, value: Any) -> bool:
        return key.split(".")[0] in self.keys

    def copy_files(self) -> None:
        """The run's own files (``files/``), under the same names."""
        if not self.files.is_dir():
            return
        for path in sorted(self.files.rglob("*")):
            if path.is_file() and not path.is_symlink():
                name = path.relative_to(self.files).as_posix()
                try:
                    self.writer.copy_file(name, path)
                except OSError as exc:
                    self.writer.problems.append(f"file {name}: {exc}")
