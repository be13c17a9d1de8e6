"""Media read back from history rows (``Api`` / ``Api.local()``): each reference a dict, as stored,
that can also fetch its file: ``.download()``, ``.read_bytes()``, ``Image`` -> ``.image()`` (PIL),
``Table`` -> ``.get_dataframe()``; they display inline in a notebook."""

from __future__ import annotations

import io
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from nbtrack.media import display

Lister = Callable[[], list[Any]]  # the run's files (nbtrack.api.files.File objects)
FILE_TYPES = frozenset(
    {"image-file", "table-file", "html-file", "audio-file", "video-file", "object3D-file"}
)


class RunFiles:
    """A run's files by name, listed once (again when a name is not there yet)."""

    def __init__(self, lister: Lister) -> None:
        self._lister = lister
        self._files: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> Any:
        with self._lock:
            if self._files is None or name not in self._files:
                self._files = {f.name: f for f in self._lister()}
        found = self._files.get(name)
        if found is None:
            raise FileNotFoundError(
                f"media file {name!r} is not among the run's files: it was not uploaded yet, or "
                "the run ended before it was written (see docs/media-format.md)"
            )
        return found


class MediaValue(dict[str, Any]):
    """A media reference from a history row; the dict is what was stored."""

    def __init__(self, reference: dict[str, Any], files: RunFiles | None) -> None:
        super().__init__(reference)
        self._files = files

    @property
    def path(self) -> str:
        return str(self["path"])

    def download(
        self, root: str | Path = ".", replace: bool = False, exist_ok: bool = False
    ) -> IO[Any]:
        """Copy the file to ``root/<path>`` and open it (as ``run.file(path).download()``)."""
        opened: IO[Any] = self._file().download(root, replace=replace, exist_ok=exist_ok)
        return opened

    def read_bytes(self) -> bytes:
        """The file's content."""
        with tempfile.TemporaryDirectory() as folder:
            self.download(folder).close()
            return (Path(folder) / self.path).read_bytes()

    def _file(self) -> Any:
        if self._files is None or "path" not in self:
            raise ValueError(f"this {self.get('_type')} value has no file to fetch")
        return self._files.get(self.path)


class ImageValue(MediaValue):
    def image(self) -> Any:
        """The image as a PIL image."""
        from nbtrack.media.optional import pil

        return pil().open(io.BytesIO(self.read_bytes()))

    open = image

    def _repr_png_(self) -> bytes | None:
        return self.read_bytes() if self.get("format") == "png" else None


class TableValue(MediaValue):
    _loaded: tuple[list[str], list[list[Any]]] | None = None

    def _load(self) -> tuple[list[str], list[list[Any]]]:
        if self._loaded is None:
            from nbtrack.media.tablefile import decode

            self._loaded = decode(self.read_bytes())
        return self._loaded

    @property
    def columns(self) -> list[str]:
        return self._load()[0]

    @property
    def data(self) -> list[list[Any]]:
        return self._load()[1]

    def get_dataframe(self) -> Any:
        """The table as a pandas DataFrame."""
        import pandas

        return pandas.DataFrame(self.data, columns=self.columns)

    def _repr_html_(self) -> str:
        return display.table_html(self.columns, self.data)


class HtmlValue(MediaValue):
    def _repr_html_(self) -> str:
        return self.read_bytes().decode()


KINDS: dict[str, type[MediaValue]] = {
    "image-file": ImageValue,
    "table-file": TableValue,
    "html-file": HtmlValue,
}


def wrap(value: Any, files: RunFiles | None) -> Any:
    """A stored value with its media references made :class:`MediaValue` objects."""
    kind = value.get("_type")
    if kind in FILE_TYPES:
        return KINDS.get(kind, MediaValue)(value, files)
    if kind == "images/separated" and isinstance(value.get("items"), list):
        return {
            **value,
            "items": [wrap(v, files) if type(v) is dict else v for v in value["items"]],
        }
    if kind == "plot" and type(value.get("table")) is dict:
        return MediaValue({**value, "table": wrap(value["table"], files)}, files)
    if kind == "histogram":
        return MediaValue(value, None)
    return value


def rows(found: Iterator[dict[str, Any]], lister: Lister) -> Iterator[dict[str, Any]]:
    """History rows with their media references wrapped (the files listed only when needed)."""
    files = RunFiles(lister)
    for row in found:
        yield wrap_row(row, files)


def wrap_row(row: dict[str, Any], files: RunFiles | None) -> dict[str, Any]:
    if dict not in set(map(type, row.values())):  # most rows: plain values only (cheap check)
        return row
    changed = {k: wrap(v, files) for k, v in row.items() if type(v) is dict and "_type" in v}
    return {**row, **changed} if changed else row
