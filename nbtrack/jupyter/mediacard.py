"""The media part of the run card: the latest image(s) and the head of the latest table.

Files are read from the run's ``files/`` folder (a file still being encoded shows as
"encoding..."); thumbnails and table heads are kept by path, which never changes content.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

MAX_IMAGES = 4
THUMBNAIL = 128
TABLE_ROWS = 5
_cache: dict[str, str] = {}  # path -> HTML (content-addressed: it never goes stale)


def is_media(value: Any) -> bool:
    return type(value) is dict and "_type" in value


def render(run_dir: str, latest: dict[str, dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """``(key, html)`` for the latest images (up to four) and the latest table."""
    blocks: list[tuple[str, str]] = []
    images = [(k, v) for k, v in latest.items() if v["_type"] in ("image-file", "images/separated")]
    for key, value in images[-MAX_IMAGES:]:
        items = value.get("items", [value])[:MAX_IMAGES]
        blocks.append((key, "".join(_image(Path(run_dir), item) for item in items)))
    tables = [(k, v) for k, v in latest.items() if v["_type"] == "table-file"]
    if tables:
        key, value = tables[-1]
        blocks.append((key, _table(Path(run_dir), value)))
    return tuple(blocks)


def _cached(path: Path, name: str, make: Any) -> str:
    if name in _cache:
        return _cache[name]
    try:
        made = str(make(path / "files" / name))
    except FileNotFoundError:
        return '<span class="nbtrack-pending">encoding...</span>'
    except Exception as exc:  # a file the card cannot show: say so, keep the card
        return f'<span class="nbtrack-pending">{html.escape(type(exc).__name__)}</span>'
    _cache[name] = made
    return made


def _image(run_dir: Path, reference: dict[str, Any]) -> str:
    caption = html.escape(str(reference.get("caption", "")))
    tag = _cached(run_dir, str(reference.get("path")), _thumbnail)
    return f'<figure class="nbtrack-image" style="display:inline-block;margin:2px">{tag}' + (
        f"<figcaption>{caption}</figcaption></figure>" if caption else "</figure>"
    )


def _thumbnail(path: Path) -> str:
    from nbtrack.media.display import png_tag
    from nbtrack.media.optional import pil

    with pil().open(path) as image:
        image.thumbnail((THUMBNAIL, THUMBNAIL))
        buffer = io.BytesIO()
        image.save(buffer, format="png")
    return png_tag(buffer.getvalue())


def _table(run_dir: Path, reference: dict[str, Any]) -> str:
    def head(path: Path) -> str:
        from nbtrack.media.display import table_html
        from nbtrack.media.tablefile import decode

        columns, rows = decode(path.read_bytes())
        shown = [[_cell(v) for v in row] for row in rows[:TABLE_ROWS]]
        return table_html(columns, shown, TABLE_ROWS, total=len(rows))

    return _cached(run_dir, str(reference.get("path")), head)


def _cell(value: Any) -> Any:
    return f"[{value['_type']}]" if is_media(value) else value
