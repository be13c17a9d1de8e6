"""A run's file as ``run.files()`` lists it; ``download(root)`` copies it to ``root/<name>``."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


@dataclasses.dataclass
class File:
    name: str
    size: int
    updated_at: float | None
    _fetch: Callable[[Path], None] = dataclasses.field(repr=False, compare=False)

    def download(
        self, root: str | Path = ".", replace: bool = False, exist_ok: bool = False
    ) -> IO[Any]:
        """Copy the file to ``root/<name>`` and open it for reading (as wandb's ``File``).

        An existing file is a ValueError unless ``replace=True`` (overwrite) or ``exist_ok=True``
        (keep it)."""
        target = Path(root).expanduser() / self.name
        if target.exists() and not replace:
            if not exist_ok:
                raise ValueError(
                    f"{target} exists already; pass replace=True to overwrite it or exist_ok=True "
                    "to keep it."
                )
            return open(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(fd)
        try:
            self._fetch(Path(temp))
            os.replace(temp, target)
        finally:
            Path(temp).unlink(missing_ok=True)
        return open(target)


def copier(source: Path) -> Callable[[Path], None]:
    """A fetch that copies a local file."""

    def fetch(target: Path) -> None:
        shutil.copyfile(source, target)

    return fetch
