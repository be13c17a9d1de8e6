"""How media run files (``media/<sha256>.<ext>``) are served: inline, typed by their extension.

Other run files go out as attachments (``files.store``). A media file is shown by the run page,
so it is served inline with the type of its extension and ``nosniff``; HTML (``nbtrack.Html``) is
user content and is only ever shown in a sandboxed frame: its own Content-Security-Policy makes it a
sandbox (an opaque origin, no scripts, no forms) even when opened directly, with no access to this
site's cookies or pages, and only this site may frame it. The name never changes content, so
browsers may keep it (privately: access depends on who asks).
"""

from __future__ import annotations

from nbtrack.server.media.store import MEDIA_NAME

TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}
HTML_POLICY = (
    "sandbox; default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; "
    "font-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)
FILE_POLICY = "sandbox; default-src 'none'"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def inline(name: str) -> tuple[str, dict[str, str]] | None:
    """(content type, headers) to show a media file inline; ``None`` for any other file."""
    if MEDIA_NAME.fullmatch(name) is None:
        return None
    kind = TYPES.get(name.rsplit(".", 1)[1])
    if kind is None:
        return None
    if kind.startswith("text/html"):
        return kind, COMMON | {
            "Content-Security-Policy": HTML_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        }
    return kind, COMMON | {"Content-Security-Policy": FILE_POLICY}
