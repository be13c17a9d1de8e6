"""Online mode: the check at ``init()`` and the wiring of a run to its background uploader."""

from __future__ import annotations

import dataclasses
from typing import Any

from nbtrack import console, credentials
from nbtrack.errors import CommError, NotLoggedIn, ServerError
from nbtrack.settings import Settings
from nbtrack.upload.transport import Transport, launch_error

UPLOAD_TIMEOUT = 30.0
_warned: set[str] = set()


@dataclasses.dataclass
class Connection:
    transport: Transport
    entity: str | None
    url: str | None


def key_and_entity(settings: Settings) -> tuple[str | None, str | None]:
    """The API key, and the entity to log to: the setting, else the key's owner when known."""
    key, owner = credentials.key_and_entity(settings.base_url, settings.api_key)
    return key, settings.entity or owner


def connect(settings: Settings, run_fields: dict[str, Any]) -> Connection:
    """Check key and permission once (short timeout); raise the server's refusal.

    When the server cannot be reached, warn once and return a connection that will retry in
    the background; the run logs locally meanwhile.
    """
    key, entity = key_and_entity(settings)
    transport = Transport(settings.base_url, key, timeout=UPLOAD_TIMEOUT)
    quick = settings.init_timeout
    try:
        if key is None:
            transport.call("GET", "/health", timeout=quick)
            raise NotLoggedIn(
                f"No API key for {transport.base_url}: run `nbtrack login` "
                "(or set NBTRACK_API_KEY), or use mode='offline' and `nbtrack sync` later."
            )
        if entity is None:
            entity = str(transport.call("GET", "/viewer", timeout=quick)["entity"])
        path = f"/runs/{entity}/{settings.project}/{run_fields['id']}"
        answer = transport.call("PUT", path, _init_fields(run_fields), timeout=quick)
    except ServerError as exc:
        refusal = launch_error(exc)
        if refusal is not None:
            transport.close()
            raise refusal from None
        _warn_unreachable(transport.base_url, str(exc), settings.silent)
        return Connection(transport, entity, None)
    except CommError as exc:
        _warn_unreachable(transport.base_url, str(exc), settings.silent)
        return Connection(transport, entity, None)
    return Connection(transport, entity, answer.get("url") if isinstance(answer, dict) else None)


def _init_fields(run_fields: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "tags", "notes", "group", "job_type", "created_at")
    fields = {k: run_fields[k] for k in keep if run_fields.get(k) is not None}
    fields["state"] = "running"
    return fields


def _warn_unreachable(base_url: str, reason: str, quiet: bool) -> None:
    if base_url in _warned:
        return
    _warned.add(base_url)
    console.say(
        f"{reason} Logging locally; the run uploads in the background once the server answers, "
        "or later with `nbtrack sync`.",
        quiet,
    )
