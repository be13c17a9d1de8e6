"""The compare widget where widgets do not render (nbconvert, a terminal, a plain HTML export):
an inline SVG per metric, a legend and the config diff as HTML, and a text summary."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from nbtrack import series

if TYPE_CHECKING:
    from nbtrack.jupyter.compare.widget import CompareWidget

WIDTH, HEIGHT, PAD = 360, 180, 28


def to_html(widget: CompareWidget) -> str:
    """Panels as inline SVG, then the legend and the config diff; no script, no CDN."""
    colours = {run["id"]: run["colour"] for run in widget.runs}
    panels = "".join(
        _panel(metric, widget.series.get(metric, {}), colours, widget.smoothing)
        for metric in widget.panels
    )
    legend = "".join(
        f'<span style="margin-right:12px;white-space:nowrap"><span style="display:inline-block;'
        f'width:10px;height:10px;background:{run["colour"]};margin-right:4px"></span>'
        f"{html.escape(run['label'])}</span>"
        for run in widget.runs
    )
    return (
        '<div class="nbtrack-compare-static" style="font-size:12px">'
        f'<div style="margin:4px 0">{legend}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:8px">{panels}</div>'
        f"{_diff(widget.diff, widget.runs)}</div>"
    )


def _panel(metric: str, lines: dict[str, Any], colours: dict[str, str], smoothing: float) -> str:
    points = [(x, y) for line in lines.values() for x, y in zip(line["x"], line["y"], strict=True)]
    if not points:
        return ""
    left, right = min(p[0] for p in points), max(p[0] for p in points)
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    paths = []
    for run_id, line in lines.items():
        ys = series.ema(line["y"], smoothing) if smoothing else line["y"]
        coords = " ".join(
            f"{_scale(x, left, right, WIDTH - 2 * PAD) + PAD:.1f},"
            f"{HEIGHT - PAD - _scale(y, low, high, HEIGHT - 2 * PAD):.1f}"
            for x, y in zip(line["x"], ys, strict=True)
            if y is not None
        )
        paths.append(
            f'<polyline class="nbtrack-line" fill="none" stroke-width="1.2" '
            f'stroke="{colours.get(run_id, "#444")}" points="{coords}"/>'
        )
    return (
        f'<svg class="nbtrack-panel" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(metric)}">'
        f'<rect width="100%" height="100%" fill="#fff" stroke="#ddd"/>'
        f'<text x="{PAD}" y="16" font-size="12">{html.escape(metric)}</text>'
        f'<text x="4" y="{PAD + 4}" font-size="9">{_num(high)}</text>'
        f'<text x="4" y="{HEIGHT - PAD}" font-size="9">{_num(low)}</text>'
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="9">{_num(left)}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="9" text-anchor="end">'
        f"{_num(right)}</text>{''.join(paths)}</svg>"
    )


def _scale(value: float, low: float, high: float, size: float) -> float:
    return (value - low) / (high - low) * size if high > low else size / 2


def _num(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _diff(diff: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    keys = diff.get("keys") or []
    if not keys:
        return ""
    differs = int(diff.get("differs") or 0)
    head = "".join(
        f'<th style="{"color:#b35900" if i < differs else ""}">{html.escape(k)}</th>'
        for i, k in enumerate(keys)
    )
    body = "".join(
        f"<tr><td>{html.escape(run['name'])}</td>"
        + "".join(f"<td>{html.escape(v)}</td>" for v in row)
        + "</tr>"
        for run, row in zip(runs, diff.get("rows") or [], strict=False)
    )
    return (
        '<table class="nbtrack-diff" style="margin-top:6px;border-collapse:collapse">'
        f"<tr><th>run</th>{head}</tr>{body}</table>"
    )


def to_text(widget: CompareWidget) -> str:
    """One line per run: its name, state and the last value of each metric."""
    lines = [f"nbtrack.compare: {len(widget.runs)} runs, metrics {', '.join(widget.panels)}"]
    for run in widget.runs:
        last = []
        for metric in widget.panels:
            ys = widget.series.get(metric, {}).get(run["id"], {}).get("y") or []
            if ys:
                last.append(f"{metric}={_num(ys[-1])}")
        lines.append(f"  {run['label']} · {run['state']} · {' '.join(last)}")
    return "\n".join(lines)
