"""Static HTML for notebooks (and nbconvert): a table's head with image cells as small pictures."""

from __future__ import annotations

import base64
import html
from typing import Any

HEAD_ROWS = 10


def table_html(
    columns: list[str], rows: list[list[Any]], limit: int = HEAD_ROWS, total: int | None = None
) -> str:
    """An HTML table of the first ``limit`` rows, saying how many there are in all."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell_html(v)}</td>" for v in row) + "</tr>" for row in rows[:limit]
    )
    count = len(rows) if total is None else total
    more = f"<caption>{count:,} rows x {len(columns)} columns</caption>"
    head = f"<thead><tr>{head}</tr></thead>"
    return f"<table class='nbtrack-table'>{more}{head}<tbody>{body}</tbody></table>"


def cell_html(value: Any) -> str:
    png = getattr(value, "_repr_png_", None)
    if png is not None:
        try:
            return png_tag(png(), 64)
        except Exception:  # a cell that cannot be drawn is shown by its text
            pass
    return html.escape(str(value))


def png_tag(data: bytes, height: int | None = None, alt: str = "") -> str:
    encoded = base64.b64encode(data).decode()
    size = f" style='max-height:{height}px'" if height else ""
    return f"<img src='data:image/png;base64,{encoded}' alt='{html.escape(alt)}'{size}>"
