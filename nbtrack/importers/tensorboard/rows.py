"""Scalar events of a TensorBoard log turned into run-log lines many at a time.

``add_scalar`` writes one event per tag and step, each holding one ``simple_value``. A batch of
such events is parsed in three C calls (:mod:`nbtrack.importers.flatproto`: the events, then
their summaries' values, each event's closed by an end marker); when every step holds the same
tags in the same order, its lines are one template filled in by C code. Anything else (other
values, a tag missing from a step, steps that do not rise) answers None: the caller reads those
events one by one.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, NamedTuple

import orjson

from nbtrack.importers import flatproto
from nbtrack.importers.tensorboard.steporder import Block

END_TAG = b"\x00end"
END_VALUE = b"\x0a\x04\x00end\x15\x00\x00\x00\x00"  # Summary.Value(tag=END_TAG, simple_value=0)
END = b"\x0a" + bytes([len(END_VALUE)]) + END_VALUE  # that value as Summary.value
HEAD = b'}]\n["h",{"_step":%b,"_runtime":%b,"_timestamp":%b'


class Events(NamedTuple):
    steps: list[int]
    walls: list[float]
    tags: list[bytes]  # one per event
    values: list[float]  # one per event


class ScalarBlocks:
    def __init__(self, event_pb2: Any, start: float) -> None:
        self.event = event_pb2.Event.DESCRIPTOR
        self.summary = self.event.fields_by_name["summary"].message_type
        self.value = self.summary.fields_by_name["value"].message_type
        self.event_other = flatproto.others(self.event, "wall_time", "step", "summary")
        self.value_other = flatproto.others(self.value, "tag", "simple_value", "metadata")
        self.start = start
        self.templates: dict[tuple[bytes, ...], bytes] = {}
        self.decoded: dict[bytes, str] = {}

    @flatproto.or_none
    def events(self, events: list[bytes]) -> Events | None:
        """Steps, times, tags and values of ``events``, or None unless each is one scalar."""
        batch = flatproto.columns(self.event, b"".join(events), raw=True)
        count = len(events)
        if not len(batch.wall_time) == len(batch.step) == len(batch.summary) == count:
            return None  # another kind of event, or step 0 (not written)
        if not flatproto.empty(batch, *self.event_other):
            return None
        listed = list(flatproto.columns(self.summary, END.join(batch.summary) + END).value)
        fields = flatproto.columns(self.value, b"".join(listed), raw=True)
        tags, values = list(fields.tag), list(fields.simple_value)
        if len(tags) != 2 * count or len(values) != 2 * count or tags[1::2] != [END_TAG] * count:
            return None
        if not flatproto.empty(fields, *self.value_other):
            return None
        return Events(list(batch.step), list(batch.wall_time), tags[0::2], values[0::2])

    def block(self, events: Events) -> Block | None:
        """The rows of ``events`` (steps in rising order, each event one scalar)."""
        return self._same_tags(events) or self._any_tags(events)

    def _same_tags(self, events: Events) -> Block | None:
        """Each step holds the same tags in one order: one line template filled in by C code."""
        steps, walls, tags, values = events
        width = next((i for i, step in enumerate(steps) if step != steps[0]), len(steps))
        rows, pattern = len(steps) // width, tags[:width]
        if rows * width != len(steps) or len(set(pattern)) != width or tags != pattern * rows:
            return None
        row_steps = steps[::width]
        if any(steps[j::width] != row_steps for j in range(1, width)):
            return None
        if not all(map(int.__lt__, row_steps, row_steps[1:])):
            return None
        row_walls = walls[::width]
        runtimes = list(map(float.__sub__, row_walls, itertools.repeat(self.start)))
        columns: list[list[Any]] = [row_steps, runtimes, row_walls]
        columns += [values[j::width] for j in range(width)]
        template = self._template(tuple(pattern))
        if template is None:
            return None
        filled = tuple(itertools.chain.from_iterable(zip(*map(_texts, columns), strict=True)))
        summary = {"_step": row_steps[-1], "_runtime": runtimes[-1], "_timestamp": row_walls[-1]}
        summary.update(zip([t.decode() for t in pattern], values[-width:], strict=True))
        text = (template * rows) % filled
        return Block(row_steps[0], row_steps[-1], rows, text, runtimes[-1], summary)

    def _any_tags(self, events: Events) -> Block | None:
        """Steps of any tags (a tag logged every 10 steps): ``,"tag":value`` per event, a row's
        head before its first event."""
        steps, walls, tags, values = events
        if not all(map(int.__le__, steps, steps[1:])):
            return None
        news = list(map(int.__ne__, steps[1:], steps[:-1]))
        if len(set(zip(itertools.accumulate(news, initial=0), tags, strict=True))) != len(tags):
            return None  # a tag twice in one step
        names = self._names(set(tags))
        if names is None:
            return None
        starts = [0, *itertools.compress(range(1, len(steps)), news)]
        heads = self._heads(starts, steps, walls)
        per_event = [b""] * len(steps)
        for start, head in zip(starts, heads, strict=True):
            per_event[start] = head
        pairs = map(bytes.__add__, map(names.__getitem__, tags), _texts(values))
        text = b"".join(itertools.chain.from_iterable(zip(per_event, pairs, strict=True))) + b"}]\n"
        at = walls[starts[-1]]
        summary = {"_step": steps[-1], "_runtime": at - self.start, "_timestamp": at}
        summary.update(zip(map(self.decoded.__getitem__, tags), values, strict=True))
        return Block(steps[0], steps[-1], len(starts), text[3:], at - self.start, summary)

    def _heads(self, starts: list[int], steps: list[int], walls: list[float]) -> list[bytes]:
        """``}]\n["h",{"_step":S,"_runtime":R,"_timestamp":T`` for each row."""
        at = [walls[i] for i in starts]
        runtimes = list(map(float.__sub__, at, itertools.repeat(self.start)))
        step_texts = _texts([steps[i] for i in starts])
        columns = zip(step_texts, _texts(runtimes), _texts(at), strict=True)
        return [HEAD % column for column in columns]

    def _names(self, tags: set[bytes]) -> dict[bytes, bytes] | None:
        """``,"tag":`` for each tag."""
        try:
            for tag in tags.difference(self.decoded):
                self.decoded[tag] = tag.decode()
        except UnicodeDecodeError:
            return None
        return {tag: b"," + orjson.dumps(self.decoded[tag]) + b":" for tag in tags}

    def _template(self, tags: tuple[bytes, ...]) -> bytes | None:
        template = self.templates.get(tags)
        if template is None:
            try:
                names = [orjson.dumps(tag.decode()).replace(b"%", b"%%") for tag in tags]
            except UnicodeDecodeError:
                return None
            if len(self.templates) > 1000:
                self.templates.clear()
            fields = b"".join(b"," + name + b":%b" for name in names)
            template = b'["h",{"_step":%b,"_runtime":%b,"_timestamp":%b' + fields + b"}]\n"
            self.templates[tags] = template
        return template


def _texts(numbers: list[Any]) -> list[bytes]:
    """Each number as JSON text; non-finite floats as ``NaN``/``Infinity`` (as the run log)."""
    text = orjson.dumps(numbers)
    if b"null" in text:
        text = json.dumps(numbers, allow_nan=True, separators=(",", ":")).encode()
    return text[1:-1].split(b",")
