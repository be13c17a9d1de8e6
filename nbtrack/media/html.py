"""``nbtrack.Html``: an HTML snippet or file, shown on the run page in a sandboxed frame."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbtrack.media import base

STYLE = (
    "<style>body{font-family:system-ui,sans-serif;font-size:14px;margin:8px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>"
)


class Html(base.Media):
    """``Html("<b>hi</b>")`` or ``Html(open("page.html"))`` or ``Html(Path("page.html"))``;
    ``inject=True`` adds a small default style sheet (inline: nothing is fetched from elsewhere)."""

    _type = "html-file"

    def __init__(self, data: Any, inject: bool = True) -> None:
        if isinstance(data, os.PathLike):
            data = Path(data).read_text()
        elif hasattr(data, "read"):
            data = data.read()
        if isinstance(data, bytes):
            data = data.decode()
        if not isinstance(data, str):
            raise TypeError(f"Html() takes a string, a file or a path, not {type(data).__name__}.")
        self.html = _injected(data) if inject else data

    def _prepare(self, key: str) -> base.Prepared:
        reference, job = base.stored(self.html.encode(), "html", self._type)
        return base.Prepared(reference, (job,))

    def _repr_html_(self) -> str:
        return self.html


def _injected(html: str) -> str:
    if "<head>" in html:
        return html.replace("<head>", "<head>" + STYLE, 1)
    return STYLE + html
