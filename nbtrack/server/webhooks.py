"""Entity webhooks: where the server posts a run's alerts, as Slack-compatible ``{"text": ...}``.

Only an admin of the entity sets its URL (HTTP, or ``nbtrack admin webhook`` on the database).
So that a webhook cannot aim the server at its own network, a URL set over HTTP by anyone but a
server admin must resolve to public addresses only, checked again before every post (DNS may
change); server admins and ``nbtrack admin`` may set private and loopback targets. Posts go out
from a small thread pool with a timeout, never from the request that brought the alert, and
never follow redirects.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection

from nbtrack.server.database import one, run
from nbtrack.server.problems import invalid

POST_TIMEOUT = 5.0
MAX_URL = 2048
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbtrack-webhook")
log = logging.getLogger("nbtrack.server.webhooks")


def check_url(url: str, private_ok: bool) -> str:
    """The URL if it may be used, else a 400 that says why."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # e.g. a bad port or bracketed host
        host = port = None
    if len(url) > MAX_URL or not host or not url.startswith(("http://", "https://")):
        raise invalid(
            f"Webhook URL {url!r} is not an http(s) URL; use e.g. https://hooks.example/x."
        )
    if not private_ok:
        bad = private_address(host, port)
        if bad:
            raise invalid(
                f"Webhook URL {url!r} points at {bad}, a private or local address; only a server "
                "admin (or `nbtrack admin webhook`) may set such a target."
            )
    return url


def private_address(host: str, port: int | None) -> str | None:
    """The first address of ``host`` that is not public (or the host when it cannot resolve)."""
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return host
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return str(ip)
    return None


def set_url(conn: Connection, entity_pk: int, url: str | None, private_ok: bool) -> None:
    run(conn, "DELETE FROM webhooks WHERE entity_pk = :e", {"e": entity_pk})
    if url:
        run(
            conn,
            "INSERT INTO webhooks (entity_pk, url, private_ok, updated_at) VALUES (:e, :u, :p, :t)",
            {"e": entity_pk, "u": url, "p": int(private_ok), "t": time.time()},
        )


def get(conn: Connection, entity_pk: int) -> dict[str, Any] | None:
    return one(
        conn,
        "SELECT url, private_ok, updated_at FROM webhooks WHERE entity_pk = :e",
        {"e": entity_pk},
    )


def message(entity: str, project: str, run_id: str, alert: dict[str, Any], link: str) -> str:
    return (
        f"[{alert['level']}] {alert['title']}\n{alert['text']}\n"
        f"run {entity}/{project}/{run_id}: {link}"
    )


def post_later(hook: dict[str, Any], texts: list[str]) -> None:
    """Queue the posts; the caller (an ingest request) does not wait for them."""
    for text in texts:
        _pool.submit(_post, str(hook["url"]), bool(hook["private_ok"]), text)


def _post(url: str, private_ok: bool, text: str) -> None:
    import requests

    try:
        if not private_ok:  # checked again: what the name resolves to may have changed
            parts = urlsplit(url)
            bad = private_address(parts.hostname or "", parts.port)
            if bad:
                log.warning("webhook %s now resolves to %s; not posted", url, bad)
                return
        answer = requests.post(
            url, json={"text": text}, timeout=POST_TIMEOUT, allow_redirects=False
        )
        if answer.status_code >= 300:
            log.warning("webhook %s answered %s", url, answer.status_code)
    except Exception as exc:  # a webhook's trouble must never reach the run's ingest
        log.warning("webhook %s failed: %r", url, exc)
