"""``run.summary``: one value per metric, read back nested as in wandb.

The summary is kept flat, with the dotted keys history uses (``{"train.loss": 0.1}``), and read
nested: ``summary["train"]`` is ``{"loss": 0.1}`` and ``summary["train"]["loss"]`` is ``0.1``
(``summary["train.loss"]`` works too). Setting a dict replaces everything under its key.
Deletions are ``unset`` records in the run log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nbtrack import values
from nbtrack.runconfig import RecordedDict

Unsetter = Callable[[list[str]], None]
_MISSING = object()


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "c": 2}`` -> ``{"a": {"b": 1}, "c": 2}``; a key under a leaf stays dotted."""
    out: dict[str, Any] = {}
    branches: set[int] = set()  # the dicts made here, as opposed to dict values users stored
    for key, value in flat.items():
        node, parts = out, key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.get(part, _MISSING)
            if child is _MISSING:
                child = node[part] = {}
                branches.add(id(child))
            elif id(child) not in branches:
                node[".".join(parts[i:])] = value
                break
            node = child
        else:
            node[parts[-1]] = value
    return out


class Summary(RecordedDict):
    """Last logged value per key, unless set explicitly: ``run.summary["best_acc"] = 0.97``."""

    _label = "summary"

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        record: Callable[[dict[str, Any]], None] | None = None,
        unset: Unsetter | None = None,
    ) -> None:
        super().__init__(data, record)
        object.__setattr__(self, "_unset", unset)

    # reading, nested
    def __getitem__(self, key: str) -> Any:
        found = self._data.get(key, _MISSING)
        if found is not _MISSING:
            return dict(found) if type(found) is dict else found  # aggregates keep changing
        prefix = f"{key}."
        below = {k[len(prefix) :]: v for k, v in self._data.items() if k.startswith(prefix)}
        if not below:
            raise KeyError(key)
        return nest(below)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(
                f"summary has no key {key!r}; set it with summary[{key!r}] = value."
            ) from None

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return key in self._data or any(k.startswith(f"{key}.") for k in self._data)

    def _top(self) -> list[str]:
        return list(dict.fromkeys(k.split(".", 1)[0] for k in self._data))

    def __iter__(self) -> Iterator[str]:
        return iter(self._top())

    def __len__(self) -> int:
        return len(self._top())

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> Any:
        return self._top()

    def items(self) -> Any:
        return [(key, self[key]) for key in self._top()]

    def values(self) -> Any:
        return [self[key] for key in self._top()]

    def as_dict(self) -> dict[str, Any]:
        return nest(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """The flat summary, dict values copied (define_metric's aggregates change in place)."""
        return {k: dict(v) if type(v) is dict else v for k, v in self._data.items()}

    # writing
    def update(self, data: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Set several keys; a dict value replaces what was under its key."""
        changes = values.as_dict(data, "summary") if data is not None else {}
        changes.update(kwargs)
        for key, value in changes.items():
            values.check_key(key)
            if isinstance(value, Mapping):
                self._drop(key)
        flat = values.flatten(changes)
        if flat:
            if self._record is not None:
                self._record(flat)
            self._data.update(flat)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._drop(key)

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(f"summary has no key {key!r}.") from None

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self[key]
        self._drop(key)
        return value

    def _drop(self, key: str) -> None:
        gone = [k for k in self._data if k == key or k.startswith(f"{key}.")]
        if not gone:
            return
        if self._unset is not None:
            self._unset(gone)
        for k in gone:
            del self._data[k]
