"""Run IDs and friendly run names.

IDs are 8 characters from ``[a-z0-9]`` drawn with :mod:`secrets`. Names are ``adjective-noun-N``
where N counts the project's runs on this machine; the counter lives in the user's config
directory and is bumped under a file lock, so two processes never hand out the same N.
"""

from __future__ import annotations

import fcntl
import os
import string
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import orjson

from nbtrack.settings import config_dir

ID_ALPHABET = string.ascii_lowercase + string.digits

_ADJECTIVES_WORDS = """
amber ancient autumn bold brave breezy bright calm cerulean clever cosmic crimson crisp
curious dashing dawn deep dry dusky eager earnest electric elegant fancy fearless fiery
floral fluent fresh gallant gentle gilded glad glorious golden graceful grand green hardy
hazy hidden honest icy jolly keen kind lively lucky lunar magic mellow misty morning noble
northern olive patient peach polar proud quiet radiant rare restful rosy royal rustic sage
scarlet serene sharp silent silver sleek smooth snowy solar spring stellar still stoic
summer sunny swift tidy true twilight vivid warm wandering wild winter wise woven young
zesty
"""
ADJECTIVES = tuple(_ADJECTIVES_WORDS.split())
_NOUNS_WORDS = """
aurora badger bay bird blossom breeze brook butterfly canyon cedar cherry cloud comet coral
crane creek dawn deer dew dream dune eagle ember falcon fern field firefly flower fog forest
fox frost galaxy glade grove harbor hawk haze heron hill lake lark leaf lion lotus maple
meadow moon moss mountain night oak ocean orbit otter owl panda pebble pine planet pond rain
raven reef river robin sea shadow shore sky smoke snow sparrow spruce star stone storm sun
sunset surf thunder tide tiger valley violet voice water wave willow wind wolf wood
"""
NOUNS = tuple(_NOUNS_WORDS.split())


T = TypeVar("T")


def choice(items: Sequence[T]) -> T:
    """A uniformly random item, from the OS's random source (``secrets.choice`` without
    importing ``secrets``, ``random`` and ``hashlib`` with ``import nbtrack``)."""
    limit = (1 << 32) - (1 << 32) % len(items)  # reject the tail that would favour low indexes
    while (draw := int.from_bytes(os.urandom(4), "little")) >= limit:
        pass
    return items[draw % len(items)]


def generate_id(length: int = 8) -> str:
    return "".join(choice(ID_ALPHABET) for _ in range(length))


def generate_name(project: str) -> str:
    adjective = choice(ADJECTIVES)
    noun = choice(NOUNS)
    return f"{adjective}-{noun}-{next_run_number(project)}"


def counters_path() -> Path:
    return config_dir() / "run-counters.json"


def next_run_number(project: str) -> int:
    """Bump and return the project's run counter on this machine (1 for the first run)."""
    path = counters_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        counters = _read_counters(fd)
        number = int(counters.get(project, 0)) + 1
        counters[project] = number
        data = orjson.dumps(counters, option=orjson.OPT_SORT_KEYS)
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, data)
        return number
    finally:
        os.close(fd)  # closing releases the lock


def _read_counters(fd: int) -> dict[str, int]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    try:
        data = orjson.loads(b"".join(chunks) or b"{}")
    except ValueError:
        return {}  # a torn counter file only costs the numbering, never a run
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}
