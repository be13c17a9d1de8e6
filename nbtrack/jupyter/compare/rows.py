"""A block of run-log lines made into records, and history rows made into stream points, with as
little Python per line as the answer allows.

``records`` parses a whole block of complete lines with one ``orjson.loads`` call (the lines
joined into one JSON array), falling back to one call per line when that fails (a ``NaN``, a torn
or foreign line), so the records are exactly those a line-by-line read finds. ``add_rows`` turns a
run of consecutive history rows into points column by column (one comprehension per metric), and
hands each stream only the rows it keeps; a kept point's x values (``_runtime``, ``_timestamp``,
the x key's) are looked up in its row only when the stream keeps that point.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator
from operator import attrgetter, itemgetter
from typing import Any

import orjson

from nbtrack import runlog
from nbtrack.jupyter.compare.stream import Stream

Extra = tuple[float | None, float | None, float | None]  # (_runtime, _timestamp, x key's value)


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused while a block's rows are alive (restored after).

    A block's thousands of row dicts would otherwise set off collections that scan them, move
    them to the oldest generation and so bring full collections of the kernel's whole heap; the
    rows hold no cycles, so reference counting frees them all the same.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def records(block: bytes) -> list[Any]:
    """The JSON values of ``block``'s lines (each ending with a newline), in order; a line that is
    not a record gives None."""
    lines = block.count(b"\n")
    try:
        parsed = orjson.loads(b"[" + block[:-1].replace(b"\n", b",") + b"]")
    except orjson.JSONDecodeError:
        return [_one(line) for line in block.splitlines()]
    if len(parsed) != lines:  # a line held more than one value: read line by line
        return [_one(line) for line in block.splitlines()]
    return parsed  # type: ignore[no-any-return]


def _one(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        decoded = runlog.decode_line(line)  # NaN and infinities, which orjson refuses
        return None if decoded is None else list(decoded)


def history(parsed: list[Any], block: bytes) -> list[Any] | None:
    """The rows of ``records(block)`` when every line of ``block`` is a history row, else None."""
    if block.count(b'\n["h",') + block.startswith(b'["h",') != len(parsed):
        return None
    if set(map(type, parsed)) != {list} or set(map(len, parsed)) != {2}:
        return None
    return list(map(itemgetter(1), parsed))


def add_rows(
    rows: list[Any],
    streams: dict[str, Stream],
    samples: int,
    x_key: str | None,
    keys: frozenset[str] | None,
) -> None:
    """Add consecutive history rows' points to each metric's stream (a row without an int
    ``_step`` is passed over; a step not above the stream's last one is dropped)."""
    rows, steps = _valid(rows)
    if not rows:
        return
    extras = Picked(rows, x_key)
    for key in _metric_keys(rows, keys):
        at, values = _column(rows, key)
        _extend(streams, key, samples, steps, at, values, extras)


def add_structs(
    rows: list[Any],
    fields: dict[str, str],
    streams: dict[str, Stream],
    samples: int,
    x_key: str | None,
    keys: frozenset[str] | None,
) -> None:
    """``add_rows`` for rows decoded as structs (:mod:`typed`): ``fields`` maps each key the
    rows may hold to its attribute (a key a row lacks reads as ``msgspec.UNSET``); every row
    has an int ``_step`` (the decoding refuses a block holding one without)."""
    steps = list(map(attrgetter(fields["_step"]), rows))
    extras = StructPicked(rows, x_key, fields)
    for key in sorted(fields):
        if not key.startswith("_") and (keys is None or key in keys):
            at, values = _numbers(list(map(attrgetter(fields[key]), rows)))
            _extend(streams, key, samples, steps, at, values, extras)


def _extend(
    streams: dict[str, Stream],
    key: str,
    samples: int,
    steps: list[int],
    at: list[int] | None,
    values: list[float],
    extras: Picked,
) -> None:
    """One metric's points (the rows ``at``, None for all) added to its stream, those whose
    step does not rise above the stream's last one dropped."""
    if at is not None and not at:
        return
    stream = streams.get(key)
    if stream is None:
        stream = streams[key] = Stream(samples)
    points = steps if at is None else [steps[i] for i in at]
    keep = _rising(points, stream.last if stream.count else None)
    if keep is not None:
        at = [i if at is None else at[i] for i in keep]
        values = [values[i] for i in keep]
        points = [steps[i] for i in at]
    stream.extend(points, values, extras.of(at))


def _valid(rows: list[Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows that are dicts with an int ``_step``, and those steps."""
    try:
        steps = list(map(itemgetter("_step"), rows))
    except (KeyError, TypeError, IndexError):
        steps = []
    if steps and set(map(type, steps)) == {int}:  # only a dict answers a str key
        return rows, steps
    rows = [row for row in rows if type(row) is dict and type(row.get("_step")) is int]
    return rows, [row["_step"] for row in rows]


def _metric_keys(rows: list[dict[str, Any]], keys: frozenset[str] | None) -> list[str]:
    """The rows' metric keys (not ``_``-prefixed), sorted."""
    found = set().union(*rows)
    return sorted(k for k in found if not k.startswith("_") and (keys is None or k in keys))


def _column(rows: list[dict[str, Any]], key: str) -> tuple[list[int] | None, list[float]]:
    """The rows holding a chartable number at ``key`` (their indexes, None for all of them) and
    those numbers."""
    try:
        values = list(map(itemgetter(key), rows))
    except KeyError:
        values = [row.get(key) for row in rows]
    return _numbers(values)


def _numbers(values: list[Any]) -> tuple[list[int] | None, list[float]]:
    """The indexes of the chartable numbers among ``values`` (None for all of them), and those
    numbers as floats."""
    if set(map(type, values)) == {float} and math.isfinite(sum(values)):
        return None, values
    at: list[int] = []
    numbers: list[float] = []
    for index, value in enumerate(values):
        number = _number(value)
        if number is not None:
            at.append(index)
            numbers.append(number)
    return at, numbers


class Picked:
    """The x values of some rows, as a sequence (``picked.of(at)[i]`` is row ``at[i]``'s)."""

    def __init__(self, rows: list[dict[str, Any]], x_key: str | None) -> None:
        self.rows, self.x_key = rows, x_key

    def __len__(self) -> int:
        return len(self.rows)

    def of(self, at: list[int] | None) -> Of:
        return Of(self, at)

    def extra(self, index: int) -> Extra:
        row = self.rows[index]
        x = _number(row.get(self.x_key)) if self.x_key else None
        return (_number(row.get("_runtime")), _number(row.get("_timestamp")), x)


class StructPicked(Picked):
    """``Picked`` over struct rows (``fields`` maps a key to its attribute)."""

    def __init__(self, rows: list[Any], x_key: str | None, fields: dict[str, str]) -> None:
        super().__init__(rows, x_key)
        self.runtime, self.timestamp = fields["_runtime"], fields["_timestamp"]
        self.x = fields.get(x_key or "", "")

    def extra(self, index: int) -> Extra:
        row = self.rows[index]
        x = _number(getattr(row, self.x)) if self.x else None
        return (_number(getattr(row, self.runtime)), _number(getattr(row, self.timestamp)), x)


class Of:
    """``Picked`` extras of the rows ``at`` (None: of every row)."""

    def __init__(self, picked: Picked, at: list[int] | None) -> None:
        self.picked, self.at = picked, at

    def __len__(self) -> int:
        return len(self.picked if self.at is None else self.at)

    def __iter__(self) -> Iterator[Extra]:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index: int) -> Extra:
        return self.picked.extra(index if self.at is None else self.at[index])


def _rising(steps: list[int], after: int | None) -> list[int] | None:
    """None when ``steps`` rise strictly (and start above ``after``); else the indexes that do."""
    if (after is None or steps[0] > after) and all(map(int.__lt__, steps, steps[1:])):
        return None
    keep, previous = [], after
    for index, step in enumerate(steps):
        if previous is None or step > previous:
            keep.append(index)
            previous = step
    return keep


def _number(value: Any) -> float | None:
    """A chartable float (as ``nbtrack.series.numeric``): a finite float or an int, not a bool."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else None
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return None
    return None
