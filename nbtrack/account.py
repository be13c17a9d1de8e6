"""``nbtrack login`` / ``logout`` and ``nbtrack.login()``: API keys stored per server."""

from __future__ import annotations

import argparse
import getpass
import sys

from nbtrack import credentials
from nbtrack.errors import CommError, NotLoggedIn, ServerError, UsageError
from nbtrack.settings import resolve
from nbtrack.transport import Transport


def login(key: str | None = None, host: str | None = None, verify: bool = True) -> str:
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
        entity = login(args.key, args.host, verify=not args.no_verify)
    except (UsageError, NotLoggedIn, CommError) as exc:
        print(f"nbtrack login: {exc}", file=sys.stderr)
        return 1
    host = credentials.normalize_host(args.host or resolve().base_url)
    print(f"Logged in to {host}" + (f" as {entity}." if entity else "."))
    return 0
