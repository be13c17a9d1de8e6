"""API keys stored per server, in a file only the user can read.

``<config dir>/credentials.json``: ``{"hosts": {"http://127.0.0.1:8642": {"api_key": "...",
"entity": "alice"}}}``. Written atomically with mode 0600. Keys never go to logs or run metadata.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, TypedDict

from nbtrack.settings import config_dir

LOOPBACK_TWINS = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


class HostCredentials(TypedDict, total=False):
    api_key: str
    entity: str


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def normalize_host(base_url: str) -> str:
    return base_url.strip().rstrip("/")


def twins(base_url: str) -> list[str]:
    """``base_url``, and the same local server under its other name (127.0.0.1 / localhost)."""
    url = normalize_host(base_url)
    parts = urllib.parse.urlsplit(url)
    other = LOOPBACK_TWINS.get(parts.hostname or "")
    if other is None:
        return [url]
    netloc = other + (f":{parts.port}" if parts.port is not None else "")
    return [url, urllib.parse.urlunsplit(parts._replace(netloc=netloc))]


def load_all() -> dict[str, HostCredentials]:
    try:
        data: Any = json.loads(credentials_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"Credentials file {credentials_path()} cannot be read ({exc}); "
            "delete it and run `nbtrack login` again."
        ) from exc
    hosts = data.get("hosts") if isinstance(data, dict) else None
    return hosts if isinstance(hosts, dict) else {}


def load(base_url: str) -> HostCredentials | None:
    return load_all().get(normalize_host(base_url))


def key_and_entity(base_url: str, api_key: str | None) -> tuple[str | None, str | None]:
    """The key to use (``api_key``, else the stored one) and its owner's entity, when known.

    The stored entity belongs to the stored key: for any other key it is unknown (ask the
    server's ``/viewer``), so a key never logs under another key's name.
    """
    stored = load(base_url) or {}
    key = api_key or stored.get("api_key")
    known = key is not None and key == stored.get("api_key")
    return key, stored.get("entity") if known else None


def store(base_url: str, api_key: str, entity: str | None = None) -> Path:
    """Save the key (and the key owner's default entity) for one server."""
    hosts = load_all()
    entry: HostCredentials = {"api_key": api_key}
    if entity:
        entry["entity"] = entity
    hosts[normalize_host(base_url)] = entry
    return _write(hosts)


def forget(base_url: str) -> bool:
    """Drop the key stored for ``base_url`` and its loopback twin; True if there was one."""
    hosts = load_all()
    removed = [url for url in twins(base_url) if hosts.pop(url, None) is not None]
    if removed:
        _write(hosts)
    return bool(removed)


def _write(hosts: dict[str, HostCredentials]) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"hosts": hosts}, out, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
