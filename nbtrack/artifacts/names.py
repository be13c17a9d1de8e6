"""Artifact names, aliases, versions and paths (``entity/project/name:alias``), checked.

A name is what wandb allows: letters, digits, ``-``, ``_`` and ``.`` (not ``..``, at most 128
characters). An alias is the same without ``/`` or ``:``; ``v<N>`` is a version, ``latest`` always
names the newest version and is moved by the server, never by hand.
"""

from __future__ import annotations

import dataclasses
import re

from nbtrack.errors import UsageError

NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
ALIAS = re.compile(r"[A-Za-z0-9_.-]{1,128}")
VERSION = re.compile(r"v(0|[1-9][0-9]{0,17})")
LATEST = "latest"


def check_name(name: object) -> str:
    return _checked(
        name,
        NAME,
        "name",
        "use up to 128 letters, digits, '-', '_' or '.' (no '..', '/' or ':'), e.g. 'mnist-train'.",
    )


def check_alias(alias: object) -> str:
    return _checked(
        alias,
        ALIAS,
        "alias",
        "use up to 128 letters, digits, '-', '_' or '.' (no '/', ':' or '..'), e.g. 'best'.",
    )


def user_aliases(aliases: object) -> list[str]:
    """Aliases a user may set: checked, without versions (``v3`` is assigned by the server)."""
    if aliases is None:
        return []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list | tuple | set):
        raise UsageError(f"aliases must be a list of strings, not {aliases!r}.")
    found = [check_alias(a) for a in aliases]
    for alias in found:
        if VERSION.fullmatch(alias):
            raise UsageError(
                f"Alias {alias!r} looks like a version; versions are assigned by the server, "
                "choose another alias (e.g. 'best')."
            )
    return list(dict.fromkeys(found))


def check_type(kind: object) -> str:
    return _checked(
        kind, NAME, "type", "use letters, digits, '-', '_' or '.', e.g. 'dataset' or 'model'."
    )


def _checked(value: object, pattern: re.Pattern[str], what: str, rule: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or ".." in value:
        raise UsageError(f"Artifact {what} {value!r} is not allowed: {rule}")
    return value


@dataclasses.dataclass(frozen=True)
class ArtifactPath:
    """``entity/project/name:alias`` with the parts that were given (entity, project optional)."""

    name: str
    alias: str = LATEST
    project: str | None = None
    entity: str | None = None

    def __str__(self) -> str:
        prefix = "/".join(p for p in (self.entity, self.project) if p)
        return f"{prefix + '/' if prefix else ''}{self.name}:{self.alias}"


def parse(path: object) -> ArtifactPath:
    """``name``, ``name:alias``, ``project/name:alias`` or ``entity/project/name:alias``."""
    if not isinstance(path, str) or not path:
        raise UsageError(f"Artifact path {path!r} must be a string like 'name:latest'.")
    head, _, alias = path.rpartition(":") if ":" in path else (path, "", LATEST)
    parts = head.split("/")
    if len(parts) > 3 or (":" in path and not alias):
        raise UsageError(
            f"Artifact path {path!r} is not of the form 'name:alias', 'project/name:alias' or "
            "'entity/project/name:alias'."
        )
    name = check_name(parts[-1])
    project = parts[-2] if len(parts) >= 2 else None
    entity = parts[0] if len(parts) == 3 else None
    return ArtifactPath(name, check_alias(alias), project, entity)
