"""Security headers on every HTML page, whatever produced it (templates, error pages, anything
added later): a strict Content-Security-Policy (scripts and styles only from files of this server,
no inline code, nothing from another origin), no MIME sniffing, no framing, same-origin referrers.
An answer to a request signed in by a session cookie is ``Cache-Control: private`` unless it says
otherwise, so a shared cache (a proxy, a CDN) never keeps a private page or file for others.
"""

from __future__ import annotations

from nbtrack.server.accounts.auth import SESSION_COOKIE
from nbtrack.server.limits import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; frame-src 'self'; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
HTML_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
}
PRIVATE = b"private, no-cache"
SESSION_PREFIX = f"{SESSION_COOKIE}=".encode()


def _has_session(scope: Scope) -> bool:
    return any(k == b"cookie" and SESSION_PREFIX in v for k, v in scope.get("headers", ()))


class SecurityHeaders:
    """Add ``HTML_HEADERS`` to responses whose content type is HTML (those not already set)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        signed_in = _has_session(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = with_html_headers(list(message.get("headers", [])))
                if signed_in and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", PRIVATE))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_html_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower(): value for name, value in headers}
    if not present.get(b"content-type", b"").lower().startswith(b"text/html"):
        return headers
    missing = [(k, v) for k, v in HTML_HEADERS.items() if k not in present]
    return headers + missing
