"""``nbtrack login`` / ``logout`` and ``nbtrack.login()``: API keys stored per server."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from nbtrack import credentials
from nbtrack.errors import CommError, NotLoggedIn, ServerError, UsageError
from nbtrack.settings import resolve
from nbtrack.upload.transport import Transport


def login(
    key: str | None = None,
    relogin: bool | None = None,
    host: str | None = None,
    anonymous: Any = None,
    verify: bool = False,
    timeout: float | None = None,
) -> bool:
    """wandb's ``login()``: True when a key is configured for ``host`` (default: ``base_url``).

    ``key`` is stored (checked against the server first with ``verify=True``, which raises
    :class:`~nbtrack.errors.NotLoggedIn` for a key the server refuses). Without ``key``, a stored
    key or ``NBTRACK_API_KEY`` counts, unless ``relogin``; else it is asked for when a terminal is
    attached. Offline, disabled, or with a run already started, it does nothing and answers False.
    ``anonymous`` and ``timeout`` are accepted for wandb's sake.
    """
    from nbtrack import console, registry

    settings = resolve()
    if settings.mode != "online" or registry.current() is not None:
        why = "a run is already started" if settings.mode == "online" else f"{settings.mode} mode"
        console.say(f"login() does nothing here ({why}).", settings.silent)
        return False
    base_url = credentials.normalize_host(host or settings.base_url)
    found = None if relogin else credentials.key_and_entity(base_url, settings.api_key)[0]
    if key is None and found:
        if verify:
            _whoami(base_url, found)
        return True
    store(key, base_url, verify)
    return True


def store(key: str | None = None, host: str | None = None, verify: bool = True) -> str:
    """Store ``key`` for ``host`` (default: the ``base_url`` setting); returns the key's entity.

    Without ``key``, asks for it when a terminal is attached. The key is checked against the
    server first, so a typo is caught now rather than at the first run.
    """
    base_url = credentials.normalize_host(host or resolve().base_url)
    if key is None:
        key = _prompt(base_url)
    key = key.strip()
    if not key:
        raise UsageError("The API key is empty; copy it from the server's admin output.")
    entity = _whoami(base_url, key) if verify else None
    credentials.store(base_url, key, entity)
    return entity or ""


def logout(host: str | None = None) -> bool:
    """Forget the key stored for ``host``; True if there was one."""
    return credentials.forget(host or resolve().base_url)


def _prompt(base_url: str) -> str:
    if not sys.stdin.isatty():
        raise UsageError(
            f"No API key given for {base_url}; pass it: `nbtrack login KEY` (or set "
            "NBTRACK_API_KEY)."
        )
    return getpass.getpass(f"API key for {base_url} (input hidden): ")


def _whoami(base_url: str, key: str) -> str:
    transport = Transport(base_url, key, timeout=10)
    try:
        viewer = transport.call("GET", "/viewer")
    except ServerError as exc:
        if exc.status == 401:
            raise NotLoggedIn(
                f"{base_url} does not accept this API key (unknown or revoked); check it, or ask "
                "the server's admin for a new one (`nbtrack admin key USER`).",
                launch=False,
            ) from None
        raise
    finally:
        transport.close()
    return str(viewer["entity"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="server URL (default: NBTRACK_BASE_URL or the setting)")
    if parser.prog.endswith("login"):
        parser.add_argument("key", nargs="?", help="the API key (asked for when left out)")
        parser.add_argument("--no-verify", action="store_true", help="store without checking")


def run(args: argparse.Namespace) -> int:
    if args.command == "logout":
        removed = logout(args.host)
        print("Logged out." if removed else "No key was stored for that server.")
        return 0
    try:
        entity = store(args.key, args.host, verify=not args.no_verify)
    except (UsageError, NotLoggedIn, CommError) as exc:
        print(f"nbtrack login: {exc}", file=sys.stderr)
        return 1
    host = credentials.normalize_host(args.host or resolve().base_url)
    print(f"Logged in to {host}" + (f" as {entity}." if entity else "."))
    return 0
