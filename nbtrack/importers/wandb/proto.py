"""wandb's record definitions (the ``Record`` message of a ``.wandb`` log and the messages in it),
taken from the installed ``wandb`` package.

Importing ``wandb.proto`` runs ``wandb/__init__.py`` first, which loads wandb's whole SDK (most of
a second). The definitions themselves are serialized descriptors inside the generated
``wandb/proto/v*/wandb_*_pb2.py`` files, so they are read from those files' text and added to a
pool of nbtrack's own: the same messages, no wandb code run. When wandb is imported already, or
its files are not laid out as expected, its own module is used.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError

FILES = ("wandb_base", "wandb_telemetry", "wandb_internal")  # each needs the ones before it
SERIALIZED = re.compile(rb"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)")
MISSING = "Reading .wandb files needs the wandb package (its record definitions): "
EXTRA = "pip install 'nbtrack[import-wandb]'"


class Records:
    """The messages of ``wandb_internal.proto`` by name: ``records.Record()``."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def __getattr__(self, name: str) -> Any:
        from google.protobuf import message_factory  # type: ignore[import-untyped]

        try:
            found = self.pool.FindMessageTypeByName(f"wandb_internal.{name}")
        except KeyError:
            raise AttributeError(name) from None
        made = self.__dict__[name] = message_factory.GetMessageClass(found)  # found once
        return made


@functools.cache
def records() -> Any:
    """The record definitions, or a clear error naming the extra."""
    if "wandb" not in sys.modules:
        folder = _proto_folder()
        pool = _pool(folder) if folder is not None else None
        if pool is not None:
            return Records(pool)
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError as exc:
        raise UsageError(f"{MISSING}{EXTRA} ({exc})") from None
    return wandb_internal_pb2


def _proto_folder() -> Path | None:
    """wandb's generated modules for the installed protobuf (``wandb/proto/v6``, ...)."""
    import google.protobuf  # type: ignore[import-untyped]

    try:
        spec = importlib.util.find_spec("wandb")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"{MISSING}{EXTRA} (no module named 'wandb')")
    major = google.protobuf.__version__.split(".")[0]
    folder = Path(next(iter(spec.submodule_search_locations))) / "proto" / f"v{major}"
    return folder if folder.is_dir() else None


def _pool(folder: Path) -> Any:
    """A descriptor pool holding wandb's files (and the protobuf ones they use); None when a
    file is missing or not as expected."""
    from google.protobuf import descriptor_pool, empty_pb2, struct_pb2, timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    for known in (empty_pb2, struct_pb2, timestamp_pb2):
        pool.AddSerializedFile(known.DESCRIPTOR.serialized_pb)
    try:
        for name in FILES:
            found = SERIALIZED.search((folder / f"{name}_pb2.py").read_bytes())
            if found is None:
                return None
            data = ast.literal_eval(found.group(1).decode("ascii"))
            pool.AddSerializedFile(data)
    except Exception:  # unreadable, or protobuf cannot build it: wandb's module is imported
        return None
    return pool
