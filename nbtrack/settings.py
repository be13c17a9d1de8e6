"""Settings: one dataclass, resolved afresh at every ``init()``.

Precedence, highest first: ``init()`` arguments (and ``settings=``), ``NBTRACK_*`` environment
variables, the settings file ``./nbtrack/settings``, the settings file in the user's config
directory, defaults. Settings files are INI files with a ``[default]`` section whose keys are
the field names below (``project = mnist``, ``mode = offline``, ``base_url = http://...``).
wandb's names are accepted too (see :mod:`nbtrack.compat.wandbsettings`), in ``Settings(...)``
and in the environment (``WANDB_PROJECT`` where ``NBTRACK_PROJECT`` is unset).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbtrack.compat.wandbsettings import getenv, translate

DEFAULT_BASE_URL = "http://127.0.0.1:8642"
DEFAULT_PROJECT = "uncategorized"
MODES = ("online", "offline", "disabled")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


@dataclasses.dataclass(init=False)
class Settings:
    """Everything that decides where a run goes and how it behaves.

    ``Settings(project="p", mode="offline")``; wandb's field names are accepted as well.
    """

    mode: str = "online"
    project: str = DEFAULT_PROJECT
    entity: str | None = None
    api_key: str | None = dataclasses.field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    dir: str = "."
    name: str | None = None
    run_id: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    group: str | None = None
    job_type: str | None = None
    resume: str | None = None
    silent: bool = False
    disable_git: bool = False
    notebook_name: str | None = None
    save_code: bool = True
    init_timeout: float = 5.0
    finish_timeout: float = 10.0
    allow_val_change: bool | None = None
    disable_stats: bool = False  # no system-metrics sampler (nbtrack.system)
    stats_interval: float = 10.0  # seconds between system-metrics samples

    def __init__(self, **fields: Any) -> None:
        given = translate(fields, {f.name for f in dataclasses.fields(self)})
        for field in dataclasses.fields(self):
            setattr(self, field.name, given.get(field.name, field.default))

    @property
    def root(self) -> Path:
        """The folder that holds the run directories: ``<dir>/nbtrack``."""
        return Path(self.dir).expanduser().absolute() / "nbtrack"


ENV_NAMES: dict[str, str] = {
    "NBTRACK_MODE": "mode",
    "NBTRACK_PROJECT": "project",
    "NBTRACK_ENTITY": "entity",
    "NBTRACK_API_KEY": "api_key",
    "NBTRACK_BASE_URL": "base_url",
    "NBTRACK_DIR": "dir",
    "NBTRACK_NAME": "name",
    "NBTRACK_RUN_ID": "run_id",
    "NBTRACK_TAGS": "tags",
    "NBTRACK_NOTES": "notes",
    "NBTRACK_RUN_GROUP": "group",
    "NBTRACK_JOB_TYPE": "job_type",
    "NBTRACK_RESUME": "resume",
    "NBTRACK_SILENT": "silent",
    "NBTRACK_DISABLE_GIT": "disable_git",
    "NBTRACK_NOTEBOOK_NAME": "notebook_name",
    "NBTRACK_SAVE_CODE": "save_code",
    "NBTRACK_INIT_TIMEOUT": "init_timeout",
    "NBTRACK_FINISH_TIMEOUT": "finish_timeout",
    "NBTRACK_DISABLE_STATS": "disable_stats",
    "NBTRACK_STATS_INTERVAL": "stats_interval",
}
FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def config_dir() -> Path:
    """The user's nbtrack config folder (settings, credentials, name counters)."""
    explicit = os.environ.get("NBTRACK_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nbtrack"


def resolve(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build the settings from every source; ``overrides`` (init arguments) win."""
    values: dict[str, Any] = {}
    for path in (config_dir() / "settings", Path("nbtrack") / "settings"):
        values.update(_read_file(path))
    for env_name, field in ENV_NAMES.items():
        raw = getenv(env_name)
        if raw is not None and (raw != "" or field in ("tags", "notes")):
            values[field] = raw
    values.update(_switches())
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _build(values)


def _switches() -> dict[str, Any]:
    """``NBTRACK_DISABLED`` (mode disabled) and ``NBTRACK_DISABLE_CODE`` (no code saved)."""
    found: dict[str, Any] = {}
    disabled = getenv("NBTRACK_DISABLED")
    if disabled and parse_bool("NBTRACK_DISABLED", disabled):
        found["mode"] = "disabled"
    no_code = getenv("NBTRACK_DISABLE_CODE")
    if no_code and getenv("NBTRACK_SAVE_CODE") is None:
        found["save_code"] = not parse_bool("NBTRACK_DISABLE_CODE", no_code)
    return found


def _read_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    import configparser  # only when a settings file exists: keeps ``import nbtrack`` light

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"Settings file {path} cannot be read ({exc}); fix or delete it.") from exc
    if not parser.has_section("default"):
        return {}
    section = parser["default"]
    unknown = sorted(set(section) - set(FIELDS))
    if unknown:
        raise ValueError(
            f"Settings file {path} has unknown key(s) {', '.join(unknown)}; "
            f"known keys are: {', '.join(sorted(FIELDS))}."
        )
    return dict(section)


def _build(values: dict[str, Any]) -> Settings:
    values = translate(values, FIELDS)
    converted = {key: _convert(key, value) for key, value in values.items() if key in FIELDS}
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValueError(
            f"Unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}."
        )
    settings = Settings(**converted)
    settings.mode = normalize_mode(settings.mode)
    check_name("project", settings.project)
    if settings.entity is not None:
        check_name("entity", settings.entity)
    if settings.run_id is not None:
        check_run_id(settings.run_id)
    settings.base_url = settings.base_url.rstrip("/")
    return settings


def _convert(key: str, value: Any) -> Any:
    kind = FIELDS[key].type
    if key == "tags":
        return parse_tags(value)
    if kind in ("bool", "bool | None"):
        return parse_bool(key, value) if isinstance(value, str) else _typed(key, value, bool)
    if kind == "float":
        return _seconds(key, value)
    if key == "dir" and isinstance(value, os.PathLike):
        return os.fspath(value)
    return _typed(key, value, str)


def _typed(key: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        what = {str: "a string", bool: "True or False"}[kind]
        raise TypeError(
            f"{key} must be {what}, not {type(value).__name__} ({value!r}); "
            f"convert it first, e.g. {key}={kind.__name__}(...)."
        )
    return value


def _seconds(key: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Setting {key}={value!r} must be a number of seconds.") from None
    if not seconds > 0:
        raise ValueError(f"Setting {key}={value!r} must be a positive number of seconds.")
    return seconds


def parse_bool(key: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Setting {key}={value!r} must be true or false (1/0, yes/no, on/off).")


def parse_tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list | tuple | set | frozenset):
        bad = [t for t in value if not isinstance(t, str) or not t.strip()]
        if bad:
            raise ValueError(f"Tags must be non-empty strings; got {bad[0]!r}.")
        return tuple(value)
    raise ValueError(f"tags must be a list of strings or a comma-separated string, not {value!r}.")


def normalize_mode(mode: str) -> str:
    word = str(mode).strip().lower()
    if word == "dryrun":
        return "offline"
    if word == "run":  # wandb's old name for online
        return "online"
    if word not in MODES:
        raise ValueError(
            f"mode={mode!r} is not a mode nbtrack knows; use one of "
            "'online', 'offline' (alias 'dryrun') or 'disabled'."
        )
    return word


def check_name(what: str, value: Any) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise ValueError(
            f"{what}={value!r} is not a valid {what} name: use 1-64 letters, digits, '_', '.' "
            "or '-', starting with a letter or digit."
        )
    return value


def check_run_id(value: Any) -> str:
    if not isinstance(value, str) or not RUN_ID_PATTERN.match(value):
        raise ValueError(
            f"id={value!r} is not a valid run ID: use 1-64 letters, digits, '_' or '-'."
        )
    return value
