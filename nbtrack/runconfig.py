"""``run.config``: a dict with attribute access whose changes are recorded, with wandb's rules.

``config.update(obj)`` takes a mapping, an argparse ``Namespace``, absl-style flags or a dataclass;
keys lose leading/trailing ``-``; dataclass values become dicts; non-string dict keys are stored as
strings (``{0: "neg"}`` reads back as ``{"0": "neg"}``). Changing a key's value raises
:class:`~nbtrack.errors.ConfigError` unless ``allow_val_change=True`` (per call, or for the run in
``init()``); in IPython and Jupyter changes are allowed by default, as in wandb.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from nbtrack import values
from nbtrack.errors import ConfigError, UsageError

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
        raise NotImplementedError


class Config(RecordedDict):
    """The run's configuration (hyper-parameters): ``run.config.lr`` or ``run.config["lr"]``."""

    _label = "config"

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        record: Recorder | None = None,
        allow_val_change: bool = False,
    ) -> None:
        super().__init__(data, record)
        object.__setattr__(self, "_allow_changes", allow_val_change)

    def update(self, data: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Set several keys: ``config.update(args)``, ``config.update({"lr": 0.1})``."""
        changes = parse(data) if data is not None else {}
        changes.update(sanitize(kwargs))
        allowed = self._allow_changes if allow_val_change is None else allow_val_change
        if not allowed:
            self._refuse_changes(changes)
        if changes:
            if self._record is not None:
                self._record(changes)
            self._data.update(changes)

    def _refuse_changes(self, changes: Mapping[str, Any]) -> None:
        for key, value in changes.items():
            old = self._data.get(key, _ABSENT)
            if old is not _ABSENT and _differs(old, value):
                raise ConfigError(
                    f"config[{key!r}] is {old!r}; changing it to {value!r} needs "
                    "allow_val_change=True (config.update(..., allow_val_change=True), or "
                    "nbtrack.init(allow_val_change=True)). Log values that change with log()."
                )

    def setdefaults(self, data: Any) -> None:
        """Set only the keys not set yet."""
        fresh = {k: v for k, v in parse(data).items() if k not in self._data}
        self.update(fresh)


_ABSENT = object()


def _differs(old: Any, new: Any) -> bool:
    try:
        return bool(old != new)
    except Exception:  # e.g. numpy arrays compare element-wise
        return old is not new


def parse(
    data: Any, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> dict[str, Any]:
    """A config dict from a mapping, Namespace, absl flags, dataclass or ``__dict__`` object."""
    if include and exclude:
        raise UsageError("Pass config_include_keys or config_exclude_keys, not both.")
    found = sanitize(_to_dict(data))
    if include:
        wanted = set(include)
        found = {k: v for k, v in found.items() if k in wanted}
    if exclude:
        unwanted = set(exclude)
        found = {k: v for k, v in found.items() if k not in unwanted}
    return found


def _to_dict(data: Any) -> Mapping[Any, Any]:
    if isinstance(data, Mapping):
        return data
    if isinstance(data, str | os.PathLike):  # a YAML or JSON file, as wandb takes
        from nbtrack.compat.wandbsettings import config_file

        return config_file(Path(data).expanduser())
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    if getattr(data, "__name__", None) == "absl.flags" and hasattr(data, "FLAGS"):
        data = data.FLAGS  # the module itself, as wandb accepts
    if type(data).__module__.startswith("absl.flags") and hasattr(data, "flag_values_dict"):
        return dict(data.flag_values_dict())
    if hasattr(data, "__dict__") and not callable(data):
        return {k: v for k, v in vars(data).items() if not k.startswith("__")}
    raise TypeError(
        f"config takes a dict, a YAML/JSON file, an argparse Namespace, absl flags or a "
        f"dataclass, not {type(data).__name__} ({data!r}); pass e.g. {{'lr': 0.1}}."
    )


def sanitize(data: Mapping[Any, Any]) -> dict[str, Any]:
    """wandb's key rules: string keys with ``-`` stripped; dataclass values as dicts."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = values.check_key(key).strip("-")
        if not name:
            raise ValueError(f"Config key {key!r} is empty once '-' is stripped; name the value.")
        out[name] = _plain(value)
    return out


def _plain(value: Any, path: frozenset[int] = frozenset()) -> Any:
    """Dataclasses as dicts, at any depth (a circular or too deep value is left for the checks
    to name)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value), path)
    if type(value) is dict and id(value) not in path and len(path) < values.MAX_DEPTH:
        inner = path | {id(value)}
        return {k: _plain(v, inner) for k, v in value.items()}
    return value


def string_keys(value: Any, path: frozenset[int] = frozenset()) -> Any:
    """Dict keys as strings, at every depth (what JSON stores): ``{0: "neg"}`` -> ``{"0": "neg"}``.

    A circular or too deep value is returned as it is, for the encoder's checks to name.
    """
    if id(value) in path or len(path) >= values.MAX_DEPTH:
        return value
    if isinstance(value, dict):
        inner = path | {id(value)}
        return {_key_text(k): string_keys(v, inner) for k, v in value.items()}
    if isinstance(value, list | tuple):
        inner = path | {id(value)}
        return [string_keys(v, inner) for v in value]
    return value


def _key_text(key: Any) -> Any:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    return str(key)
