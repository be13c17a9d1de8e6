"""wandb's names for settings and environment variables, mapped onto nbtrack's.

``nbtrack.Settings(...)`` and ``init(settings={...})`` accept wandb's common field names: those
with an nbtrack meaning are renamed (``run_name`` -> ``name``, ``disable_code`` -> not
``save_code``, ``x_disable_stats`` -> ``disable_stats``), those that tune machinery nbtrack does
not have (a service process, console capture) are accepted and ignored on purpose
(:data:`IGNORED`); anything else is an error naming the field. Environment: where an ``NBTRACK_*``
variable is unset, its ``WANDB_*`` twin is read (:data:`ENV_TWINS`); ``WANDB_API_KEY`` and
``WANDB_BASE_URL`` never are, as they point at another service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError

RENAMED = {
    "run_name": "name",
    "run_tags": "tags",
    "run_notes": "notes",
    "run_group": "group",
    "run_job_type": "job_type",
    "root_dir": "dir",
    "x_disable_stats": "disable_stats",
    "_disable_stats": "disable_stats",
    "x_stats_sampling_interval": "stats_interval",
    "_stats_sample_rate_seconds": "stats_interval",
}
IGNORED = frozenset(
    {
        "console",
        "console_multipart",
        "start_method",
        "x_disable_meta",
        "_disable_meta",
        "x_disable_machine_info",
        "x_save_requirements",
        "_save_requirements",
        "x_service_wait",
        "_service_wait",
        "x_file_stream_timeout_seconds",
        "heartbeat_seconds",
        "show_info",
        "show_warnings",
        "show_errors",
        "show_emoji",
        "quiet",
        "disable_job_creation",
        "disable_hints",
        "code_dir",
        "program",
        "program_relpath",
        "x_label",
        "x_primary",
        "anonymous",
        "force",
        "sync_tensorboard",
        "reinit",
    }
)
ENV_TWINS = {
    name: "WANDB_" + name.removeprefix("NBTRACK_")
    for name in (
        "NBTRACK_MODE",
        "NBTRACK_PROJECT",
        "NBTRACK_ENTITY",
        "NBTRACK_NAME",
        "NBTRACK_RUN_ID",
        "NBTRACK_NOTES",
        "NBTRACK_TAGS",
        "NBTRACK_RUN_GROUP",
        "NBTRACK_JOB_TYPE",
        "NBTRACK_RESUME",
        "NBTRACK_SILENT",
        "NBTRACK_DISABLED",
        "NBTRACK_DISABLE_GIT",
        "NBTRACK_DISABLE_CODE",
        "NBTRACK_DIR",
        "NBTRACK_NOTEBOOK_NAME",
        "NBTRACK_CONFIG_PATHS",
    )
}


def translate(fields: Mapping[str, Any], known: Any) -> dict[str, Any]:
    """Settings fields in nbtrack's names; wandb's ignored ones dropped; unknown ones refused."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in known:
            out[key] = value
        elif key in RENAMED:
            out[RENAMED[key]] = value
        elif key == "disable_code":
            out["save_code"] = _inverse(value)
        elif key not in IGNORED:
            raise UsageError(
                f"Unknown setting {key!r}. nbtrack's settings: {', '.join(sorted(known))}; "
                f"wandb's {', '.join(sorted(RENAMED))} and disable_code are renamed, and "
                f"{', '.join(sorted(IGNORED))} are accepted and ignored (see the README)."
            )
    return out


def _inverse(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return "false" if value.strip().lower() in ("1", "true", "yes", "on") else "true"
    return value


def getenv(name: str) -> str | None:
    """``NBTRACK_<X>``, else its ``WANDB_<X>`` twin (for the names in :data:`ENV_TWINS`)."""
    value = os.environ.get(name)
    if value is None and name in ENV_TWINS:
        value = os.environ.get(ENV_TWINS[name])
    return value


def config_files(paths: str) -> dict[str, Any]:
    """The config in ``NBTRACK_CONFIG_PATHS`` / ``WANDB_CONFIG_PATHS`` (comma-separated YAML or
    JSON files, merged in order)."""
    config: dict[str, Any] = {}
    for name in (p.strip() for p in paths.split(",")):
        if name:
            config.update(config_file(Path(name).expanduser()))
    return config


def config_file(path: Path) -> dict[str, Any]:
    """One YAML (or ``.json``) config file; wandb's ``{key: {value: ...}}`` entries unwrapped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Config file {path} (from CONFIG_PATHS) cannot be read: {exc}.") from None
    if path.suffix.lower() == ".json":
        import json

        data = json.loads(text)
    else:
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise UsageError(
                f"Config file {path} is YAML: `pip install pyyaml`, or use a .json file."
            ) from None
        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError(f"Config file {path} must hold a mapping of key -> value.")
    return {k: v["value"] if _wandb_entry(v) else v for k, v in data.items()}


def _wandb_entry(value: Any) -> bool:
    """wandb's config-defaults.yaml style: ``lr: {desc: ..., value: 0.1}``."""
    return isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}
