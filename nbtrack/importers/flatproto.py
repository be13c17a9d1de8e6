"""Many protobuf messages parsed in one call, their fields read as columns.

A long history is a million small messages; parsing each one and reading its fields from Python
costs microseconds apiece. Protobuf merges repeated fields when messages are concatenated, so a
*flat* twin of a message type (the same field numbers, every field repeated, sub-messages kept as
bytes) parses the concatenation of many messages in C and returns each field as one list, in
wire order. The caller checks the counts (one value per message) before trusting the columns,
and reads the batch message by message when they do not line up (or protobuf cannot parse it:
``or_none``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
SCALAR_KEEP = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 15, 16, 17, 18}  # numbers, bools, strings
STRING, BYTES, ENUM = 9, 12, 14


@functools.cache
def _pool() -> Any:
    from google.protobuf import descriptor_pool  # type: ignore[import-untyped]

    return descriptor_pool.DescriptorPool()


@functools.cache
def flat(descriptor: Any, raw: bool = False) -> Any:
    """The flat twin of a message type (by its descriptor): a generated message class; with
    ``raw``, strings come as bytes (not decoded: the caller checks the text it makes)."""
    from google.protobuf import descriptor_pb2, message_factory

    name = "nbtrack_flat_" + descriptor.full_name.replace(".", "_") + ("_raw" if raw else "")
    proto = descriptor_pb2.FileDescriptorProto(name=f"{name}.proto", package=name, syntax="proto3")
    message = proto.message_type.add(name="Flat")
    for field in descriptor.fields:
        kind = field.type if field.type in SCALAR_KEEP else BYTES
        kind = 5 if field.type == ENUM else kind  # int32
        kind = BYTES if raw and kind == STRING else kind
        message.field.add(name=field.name, number=field.number, label=3, type=kind)
    _pool().Add(proto)
    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(f"{name}.Flat"))


def columns(descriptor: Any, data: bytes, raw: bool = False) -> Any:
    """``data`` (concatenated messages of ``descriptor``'s type) parsed as its flat twin."""
    message = flat(descriptor, raw)()
    message.ParseFromString(data)
    return message


def or_none(read: Callable[P, R | None]) -> Callable[P, R | None]:
    """A batch reader that answers None (the caller reads the batch message by message) where
    protobuf cannot parse the batch at all."""

    @functools.wraps(read)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

        try:
            return read(*args, **kwargs)
        except DecodeError:
            return None

    return guarded


def empty(message: Any, *names: str) -> bool:
    """True when none of the named columns holds a value."""
    return not any(len(getattr(message, name)) for name in names)


def others(descriptor: Any, *kept: str) -> tuple[str, ...]:
    """The names of ``descriptor``'s fields besides ``kept``."""
    return tuple(f.name for f in descriptor.fields if f.name not in kept)
