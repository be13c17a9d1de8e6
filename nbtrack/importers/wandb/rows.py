"""History and summary records of a ``.wandb`` log read many at a time.

A block of records that are all history or summary ones (what ``run.log()`` writes) is split
into the two kinds' payloads by one C call (:mod:`nbtrack.importers.flatproto`). A plain history
record is what ``run.log()`` of numbers (nested dicts of numbers included) writes: items named by
``nested_key``, values as ``value_json``, and ``_step``, ``_runtime`` and ``_timestamp`` among
them. A batch of their payloads is parsed in two C calls (their items, then the items' fields,
with an end marker after each item and each record), each item named by its nested keys joined
with ``.`` (as the record-by-record reader does), and its lines are built from the columns with
no Python code per value. Summary payloads are read the same way into ``(key, JSON)`` updates.
Anything else in a batch (media, typed values, removed summary keys, steps that do not rise)
answers None: the caller reads those records one by one.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, NamedTuple

import orjson

from nbtrack.importers import flatproto

# a Record made of an optional ``num`` (field 1) and a ``history`` (field 2) or ``summary`` (3)
HEAD = re.compile(rb"(?:\x08[\x80-\xff]{0,9}[\x00-\x7f])?\x12")
SUMMARY_HEAD = re.compile(rb"(?:\x08[\x80-\xff]{0,9}[\x00-\x7f])?\x1a")
NESTED_END = b"\x12\x01\x00"  # nested_key "\x00" after each item: where its names end
ITEM_END = b"\x0a\x01\x00" + NESTED_END  # key "\x00" too
END_KEY = b"\x02"
END_ITEM = b"\x12\x01\x02\x82\x01\x00"  # HistoryItem(nested_key=[END_KEY], value_json="")
END = b"\x0a" + bytes([len(END_ITEM)]) + END_ITEM  # that item as HistoryRecord.item
TIMES = (b"_step", b"_runtime", b"_timestamp")


def named_items(
    descriptor: Any, items: list[bytes], raw: bool, keyed: bool = False
) -> tuple[list[Any], list[Any]]:
    """Each item's name (its ``key``, or its nested keys joined by ``.``) and ``value_json``;
    empty lists unless every item has one kind of name and its value as JSON. ``keyed``: some
    items are expected to be named by ``key`` (both kinds are marked in the first reading)."""
    end = ITEM_END if keyed else NESTED_END
    fields = flatproto.columns(descriptor, end.join(items) + end, raw)
    typed = (f.name for f in descriptor.fields if f.containing_oneof)
    values = list(fields.value_json)
    if not flatproto.empty(fields, *typed) or len(values) != len(items):
        return [], []
    if len(fields.key):  # some items named by ``key``: both kinds marked (read again if not)
        if not keyed:
            fields = flatproto.columns(descriptor, ITEM_END.join(items) + ITEM_END, raw)
        keys, nested = _names(list(fields.key), raw), _names(list(fields.nested_key), raw)
    else:
        keys, nested = [], _names(list(fields.nested_key), raw)
        if len(nested) == len(items) and (b"" if raw else "") not in nested:
            return nested, values
    if len(keys) != len(items) or len(nested) != len(items):
        return [], []  # a name holding a marker
    empty = b"" if raw else ""
    if keys.count(empty) + nested.count(empty) != len(items):
        return [], []  # an item with both kinds of name, or none
    return list(map(type(empty).__add__, keys, nested)), values


def _names(names: list[Any], raw: bool) -> list[Any]:
    """Per item (each closed by a NUL name), its names joined by ``.``."""
    marks: Any = (b"\x00", b"\x01", b".") if raw else ("\x00", "\x01", ".")
    zero, one, dot = marks
    ends = names[1::2]
    if len(names) % 2 == 0 and ends.count(zero) == len(ends) and zero not in names[0::2]:
        return names[0::2]  # one name per item, the common case
    text = one.join(names)
    if text.count(one) != len(names) - 1:
        return []
    text = text.replace(one + zero, zero).replace(zero + one, zero).replace(one, dot)
    split: list[Any] = text.split(zero)
    return split[:-1] if not split[-1] else []


class Kinds:
    """Splits records that are all history or summary ones into the two kinds' payloads."""

    def __init__(self, pb: Any) -> None:
        self.record = pb.Record.DESCRIPTOR
        oneof = self.record.oneofs_by_name["record_type"]
        self.others = tuple(f.name for f in oneof.fields if f.name not in ("history", "summary"))

    @flatproto.or_none
    def split(self, records: list[bytes]) -> tuple[list[bytes], list[bytes]] | None:
        """``(history payloads, summary payloads)``, each kind in file order; None when a
        record is of another kind (or of none, or of two)."""
        batch = flatproto.columns(self.record, b"".join(records))
        history, summary = list(batch.history), list(batch.summary)
        if len(history) + len(summary) != len(records) or not flatproto.empty(batch, *self.others):
            return None
        return history, summary


@flatproto.or_none
def summary_updates(pb: Any, payloads: bytes) -> list[tuple[str, str]] | None:
    """The ``(key, JSON)`` updates of summary records (their payloads, joined), the last of
    each key; None to read them one by one (a removed key, or anything unusual)."""
    summary = flatproto.columns(pb.SummaryRecord.DESCRIPTOR, payloads)
    if len(summary.remove):
        return None
    items = list(summary.update)
    names, values = named_items(pb.SummaryItem.DESCRIPTOR, items, True, keyed=True)
    if len(names) != len(items):
        return None
    last = dict(zip(names, values, strict=True))
    try:
        return [(k.decode(), v.decode()) for k, v in last.items()]
    except UnicodeDecodeError:
        return None


class Block(NamedTuple):
    text: bytes  # run-log lines
    rows: int
    first: int  # the first row's step
    step: int  # of the last row
    runtime: float  # of the last row
    last: dict[str, str]  # each key's last JSON text


class HistoryBlocks:
    """Turns batches of plain history records into run-log lines."""

    def __init__(self, pb: Any) -> None:
        self.history, self.item = pb.HistoryRecord.DESCRIPTOR, pb.HistoryItem.DESCRIPTOR
        self.quoted: dict[bytes, bytes] = {}
        self.templates: dict[tuple[bytes, ...], bytes] = {}

    @flatproto.or_none
    def lines(self, payloads: list[bytes], next_step: int) -> Block | None:
        """The lines of history records (their payloads), or None to read them one by one."""
        items = list(flatproto.columns(self.history, END.join(payloads) + END).item)
        keys, values = named_items(self.item, items, True)
        if len(keys) != len(items) or keys.count(END_KEY) != len(payloads):
            return None
        return self._block(keys, values, len(payloads), next_step)

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
        if b'._type":' in lines:
            return None  # media given as nested keys
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
        commas = {key: b"," + self._quoted(key) for key in set(keys)}
        pairs: list[bytes] = [b""] * (2 * len(keys))  # prefix, value, prefix, value, ...
        pairs[0::2] = map(commas.__getitem__, keys)
        pairs[1::2] = values
        text = b"".join(pairs)
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
    return Block(lines, rows, numbers[0], numbers[-1], runtime, texts)
