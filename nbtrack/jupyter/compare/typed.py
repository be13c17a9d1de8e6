"""A block of run-log lines decoded by msgspec into small structs holding only the keys asked for.

Parsing a block as JSON makes every history row a dict of all its keys; most of a compare's
reading time went there. msgspec decodes each line into a struct whose fields are the row keys
asked for (``_step``, ``_runtime``, ``_timestamp``, the x key and the metrics) and skips the
rest without making objects; other records keep their payload as raw JSON. When every key
must be read (``closed``), the fields are the keys the run's rows were seen to hold, and a row
holding another key is refused: the block is then read as JSON, whose rows teach the reader the
new key. Anything msgspec refuses (a ``NaN``, a torn or foreign line, a kind not known here) also
sends the block to the JSON reading, so the records are exactly those it finds.

msgspec is optional (the ``jupyter`` extra brings it): without it every block is read as JSON.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

import orjson

from nbtrack import runlog

ROW_FIELDS = ("_step", "_runtime", "_timestamp")  # always asked for
KINDS = (  # the run log's kinds besides "h" (runlog's table)
    *("nbtrack", "run", "config", "summary", "unset", "metric", "preempting", "meta", "file"),
    *("resume", "alert", "artifact", "used", "system", "exit"),
)
HEAD = b'["h",{'
MAX_FIELDS = 512  # rows seen with more keys than this are read as JSON


class Decoding:
    """A decoder for one set of row keys: ``decode(block)`` gives its records or None."""

    def __init__(self, keys: tuple[str, ...], closed: bool) -> None:
        import msgspec

        keys = ("_step", *(key for key in keys if key != "_step"))
        self.fields = {key: f"f{index}" for index, key in enumerate(keys)}
        row = msgspec.defstruct(
            "Row",  # a row without an int _step is refused (the JSON reading passes over it)
            [("f0", int)] + [(name, Any, msgspec.UNSET) for name in list(self.fields.values())[1:]],
            rename={name: key for key, name in self.fields.items()},
            forbid_unknown_fields=closed,
            gc=False,
        )
        self.history = _record("h", row)
        self.kinds: dict[type, str] = {_record(kind, msgspec.Raw): kind for kind in KINDS}
        union: Any = functools.reduce(operator.or_, [self.history, *self.kinds])
        self.decoder = msgspec.json.Decoder(union)
        self.errors = (msgspec.DecodeError, msgspec.ValidationError)

    def decode(self, block: bytes) -> list[Any] | None:
        try:
            records: list[Any] = self.decoder.decode_lines(block)
            return records
        except self.errors:
            return None

    def kind(self, record: Any) -> str:
        return "h" if type(record) is self.history else self.kinds[type(record)]


def _record(kind: str, payload: Any) -> type:
    """``[kind, payload]`` as a struct (a line of another kind, or length, is refused)."""
    import msgspec

    fields = [("payload", payload)]
    return msgspec.defstruct(
        f"Record_{kind}", fields, array_like=True, tag=kind, forbid_unknown_fields=True, gc=False
    )


@functools.lru_cache(maxsize=16)
def decoding(keys: tuple[str, ...], closed: bool) -> Decoding | None:
    """The decoding for these row keys (sorted); None (read as JSON) without msgspec, with too
    many keys or with a key msgspec cannot name."""
    if len(keys) > MAX_FIELDS:
        return None
    try:
        return Decoding(keys, closed)
    except (ImportError, ValueError):  # no msgspec; a key it cannot name (a quote, a control)
        return None


def keys_of(seen: Iterable[str], x_key: str | None) -> tuple[str, ...]:
    """The row keys to decode: those seen or wanted, with the step, times and x key."""
    return tuple(sorted({*seen, *ROW_FIELDS, *([x_key] if x_key else [])}))


def first_row_keys(block: bytes) -> frozenset[str] | None:
    """The keys of ``block``'s first history row (None: it holds none that parses)."""
    start = 0 if block.startswith(HEAD) else block.find(b"\n" + HEAD) + 1
    if start == 0 and not block.startswith(HEAD):
        return None
    decoded = runlog.decode_line(block[start : block.find(b"\n", start)])
    if decoded is None or not isinstance(decoded[1], dict):
        return None
    return frozenset(decoded[1])


def payload(record: Any) -> Any:
    """A non-history record's payload, parsed (as the JSON reading would)."""
    raw = bytes(record.payload)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # an integer beyond 64 bits
        decoded = runlog.decode_line(b'["x",' + raw + b"]")
        return None if decoded is None else decoded[1]
