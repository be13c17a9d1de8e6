"""Plain ``history`` records of a ``.wandb`` log turned into run-log lines many at a time.

A plain record is what ``run.log()`` of numbers writes: every item named by one ``nested_key``,
its value as ``value_json``, and ``_step``, ``_runtime`` and ``_timestamp`` among the items.
A batch of them is parsed in three C calls (:mod:`nbtrack.importers.flatproto`: records, then
their items, then the items' fields, each record's items closed by an end marker) and its lines
are built from the columns with no Python code per value. Anything else in the batch (nested
keys, media, typed values, steps that do not rise) and :meth:`HistoryBlocks.lines` answers None:
the caller reads those records one by one.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, NamedTuple

import orjson

# a Record made of an optional ``num`` (field 1) and a ``history`` (field 2)
HEAD = re.compile(rb"(?:\x08[\x80-\xff]{0,9}[\x00-\x7f])?\x12")
END_KEY = b"\x00end"
END_ITEM = b"\x12\x04\x00end\x82\x01\x00"  # HistoryItem(nested_key=[END_KEY], value_json="")
END = b"\x0a" + bytes([len(END_ITEM)]) + END_ITEM  # that item as HistoryRecord.item
TIMES = (b"_step", b"_runtime", b"_timestamp")


class Block(NamedTuple):
    text: bytes  # run-log lines
    rows: int
    step: int  # of the last row
    runtime: float  # of the last row
    last: dict[str, str]  # each key's last JSON text


class HistoryBlocks:
    """Turns batches of plain history records into run-log lines."""

    def __init__(self, pb: Any) -> None:
        self.record, self.history = pb.Record.DESCRIPTOR, pb.HistoryRecord.DESCRIPTOR
        self.item = pb.HistoryItem.DESCRIPTOR
        oneof = self.record.oneofs_by_name["record_type"]
        self.other_kinds = tuple(f.name for f in oneof.fields if f.name != "history")
        self.item_extra = tuple(f.name for f in self.item.fields if f.containing_oneof)
        self.quoted: dict[bytes, bytes] = {}
        self.templates: dict[tuple[bytes, ...], bytes] = {}

    def lines(self, records: list[bytes], next_step: int) -> Block | None:
        """The lines of ``records`` (each matched by ``HEAD``), or None to read them one by one."""
        from nbtrack.importers import flatproto

        batch = flatproto.columns(self.record, b"".join(records))
        payloads = list(batch.history)
        if len(payloads) != len(records) or not flatproto.empty(batch, *self.other_kinds):
            return None
        items = list(flatproto.columns(self.history, END.join(payloads) + END).item)
        fields = flatproto.columns(self.item, b"".join(items), raw=True)
        keys, values = list(fields.nested_key), list(fields.value_json)
        if len(keys) != len(items) or len(values) != len(items) or len(fields.key):
            return None
        if not flatproto.empty(fields, *self.item_extra):
            return None
        return self._block(keys, values, len(records), next_step)

    def _block(self, keys: list[bytes], values: list[bytes], rows: int, next: int) -> Block | None:
        width = keys.index(END_KEY) + 1
        if len(keys) == width * rows and keys == keys[:width] * rows:  # rows of the same keys
            lines, last = self._same_keys(keys[:width], values, rows), keys[-width:]
            steps = values[keys.index(b"_step") :: width]
            times = all(name in last for name in TIMES)
        else:
            lines, last = self._any_keys(keys, values), keys
            steps = list(itertools.compress(values, map(b"_step".__eq__, keys)))
            times = all(keys.count(name) == rows for name in TIMES)
        if not times or lines.count(b"{") != rows or lines.count(b"\n") != rows:
            return None  # media or nested values; a row without its times; a bad value
        return _checked(
            lines, rows, steps, dict(zip(last, values[-len(last) :], strict=True)), next
        )

    def _same_keys(self, keys: list[bytes], values: list[bytes], rows: int) -> bytes:
        """Rows of one set of keys in one order: a line template filled in by C code."""
        template = self.templates.get(tuple(keys))
        if template is None:
            if len(self.templates) > 1000:
                self.templates.clear()
            fields = [self._quoted(key).replace(b"%", b"%%") + b"%b" for key in keys[:-1]]
            template = b'["h",{' + b",".join(fields) + b"%b}]\n"
            self.templates[tuple(keys)] = template
        return (template * rows) % tuple(values)

    def _any_keys(self, keys: list[bytes], values: list[bytes]) -> bytes:
        """``"key":value`` pairs joined, each record's end a NUL byte, then cut into lines."""
        prefixes = map(self._quoted, keys)
        text = b"".join(
            itertools.chain.from_iterable(zip(map(b",".__add__, prefixes), values, strict=True))
        )
        return b'["h",{' + text[1:-2].replace(b",\x00,", b'}]\n["h",{') + b"}]\n"

    def _quoted(self, key: bytes) -> bytes:
        """``"key":``; the end marker stays a NUL byte."""
        quoted = self.quoted.get(key)
        if quoted is None:
            if len(self.quoted) > 100_000:
                self.quoted.clear()
            try:
                quoted = orjson.dumps(key.decode()) + b":" if key != END_KEY else b"\x00"
            except UnicodeDecodeError:
                quoted = b"\x00bad"  # not UTF-8: the batch fails its checks
            self.quoted[key] = quoted
        return quoted


def _checked(
    lines: bytes, rows: int, steps: list[bytes], last: dict[bytes, bytes], next: int
) -> Block | None:
    try:
        numbers = list(map(int, steps))
        runtime = float(last[b"_runtime"])
        lines.decode()  # wandb's strings are UTF-8; a batch that is not is read one by one
        texts = {k.decode(): v.decode() for k, v in last.items() if k != END_KEY}
    except (ValueError, UnicodeDecodeError):
        return None
    if len(numbers) != rows or numbers[0] < next or not all(map(int.__lt__, numbers, numbers[1:])):
        return None
    if b"\x00" in lines:
        return None
    return Block(lines, rows, numbers[-1], runtime, texts)
