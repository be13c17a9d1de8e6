"""``run.config`` and ``run.summary``: dicts with attribute access whose changes are recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nbtrack import values

Recorder = Callable[[dict[str, Any]], None]


class RecordedDict:
    """A mapping whose writes go through ``record`` (the run log) before they are kept."""

    _label = "config"

    def __init__(self, data: Mapping[str, Any] | None = None, record: Recorder | None = None):
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_record", record)

    # reading
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(
                f"{self._label} has no key {key!r}; set it with {self._label}[{key!r}] = value."
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordedDict):
            return bool(self._data == other._data)
        return isinstance(other, Mapping) and bool(self._data == dict(other))

    __hash__ = None  # type: ignore[assignment]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def values(self) -> Any:
        return self._data.values()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    # writing
    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self.update({key: value})

    def update(self, data: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Set several keys at once (``allow_val_change`` is accepted for compatibility)."""
        changes = values.as_dict(data, self._label) if data is not None else {}
        changes.update(kwargs)
        for key in changes:
            values.check_key(key)
        if not changes:
            return
        if self._record is not None:
            self._record(changes)
        self._data.update(changes)

    def setdefaults(self, data: Mapping[str, Any]) -> None:
        self.update({k: v for k, v in data.items() if k not in self._data})


class Config(RecordedDict):
    """The run's configuration (hyper-parameters): ``run.config.lr`` or ``run.config["lr"]``."""

    _label = "config"


class Summary(RecordedDict):
    """Last logged value per key, unless set explicitly: ``run.summary["best_acc"] = 0.97``."""

    _label = "summary"
