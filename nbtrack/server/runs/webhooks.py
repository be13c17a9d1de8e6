"""Entity webhooks: where the server posts a run's alerts, as Slack-compatible ``{"text": ...}``.

Only an admin of the entity sets its URL (HTTP, or ``nbtrack admin webhook`` on the database).
So that a webhook cannot aim the server at its own network, a URL set over HTTP by anyone but a
server admin must resolve to public addresses only, checked again before every post (DNS may
change), and the post connects to the very address that was checked (no second lookup that a
rebinding name could answer differently); server admins and ``nbtrack admin`` may set private and
loopback targets. Posts go out from a small thread pool with a timeout, never from the request
that brought the alert, and never follow redirects. Logs name the host only: a webhook's path
often holds its secret.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
import ssl
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
log = logging.getLogger("nbtrack.server.runs.webhooks")


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
        _public_addresses(host, port or 443)
    except LookupError as exc:
        return str(exc)
    return None


def _public_addresses(host: str, port: int) -> list[str]:
    """``host``'s addresses, or LookupError naming the first that is not public."""
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        raise LookupError(host) from None
    addresses = [str(address[0]).split("%")[0] for *_, address in found]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        inner = _embedded(ip)
        if not ip.is_global or ip.is_multicast or (inner is not None and not inner.is_global):
            raise LookupError(str(ip))
    return addresses


TRANSLATED = tuple(map(ipaddress.IPv6Network, ("64:ff9b::/96", "64:ff9b:1::/48", "::/96")))


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (6to4, NAT64 or IPv4-compatible), which a gateway on
    the way may reach: ``64:ff9b::7f00:1`` is 127.0.0.1 behind NAT64."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.sixtofour is not None or ip.ipv4_mapped is not None:
        return ip.sixtofour or ip.ipv4_mapped
    if any(ip in network for network in TRANSLATED):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
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


def shown(url: str) -> str:
    """The URL as logs show it: scheme and host, never the path that may hold a secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/..."


def _post(url: str, private_ok: bool, text: str) -> None:
    try:
        status = _send(url, private_ok, json.dumps({"text": text}).encode())
        if status >= 300:
            log.warning("webhook %s answered %s", shown(url), status)
    except LookupError as exc:
        log.warning("webhook %s now resolves to %s; not posted", shown(url), exc)
    except Exception as exc:  # a webhook's trouble must never reach the run's ingest
        log.warning("webhook %s failed: %s", shown(url), type(exc).__name__)


def _send(url: str, private_ok: bool, body: bytes) -> int:
    """POST ``body`` to the address checked just now; the HTTP status."""
    parts = urlsplit(url)
    host, secure = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    if private_ok:
        address = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)[0][4][0]
    else:  # checked again: what the name resolves to may have changed
        address = _public_addresses(host, port)[0]
    sock = socket.create_connection((str(address), port), timeout=POST_TIMEOUT)
    if secure:
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    conn = http.client.HTTPConnection(host, port, timeout=POST_TIMEOUT)
    conn.sock = sock  # connected already: http.client uses it as is
    try:
        path = parts.path or "/"
        conn.request("POST", path + (f"?{parts.query}" if parts.query else ""), body, _HEADERS)
        return conn.getresponse().status
    finally:
        conn.close()


_HEADERS = {"Content-Type": "application/json"}
