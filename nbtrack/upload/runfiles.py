"""Reading a run's stored files for upload: regular files inside its ``files/`` folder, only.

A ``file`` record names a path relative to ``files/``. A name that climbs out (``../../x``), an
absolute name, or a symlink (at any level) that leads out of the run's ``files/`` folder is refused,
so a run directory can never make the uploader read, and send, a file from elsewhere.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read(run_dir: Path, name: str) -> bytes:
    """The content of ``files/<name>``; ValueError when it is not a regular file inside."""
    folder = os.path.realpath(run_dir / "files")
    if os.path.dirname(folder) != os.path.realpath(run_dir):
        raise ValueError("the run's files folder is a link to somewhere else")
    target = os.path.realpath(os.path.join(folder, name))
    if os.path.isabs(name) or not target.startswith(folder + os.sep):
        raise ValueError("it is not inside the run's files folder")
    fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("it is not a regular file")
        return stream.read()
