"""A run card: what the widget and the static display show about a run, as data and as HTML.

``Card`` is a snapshot taken from a live ``Run``; two equal cards render the same, so the widget
only sends an update when the card changed.
"""

from __future__ import annotations

import dataclasses
import html
import math
import os
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack._run import Run

COLOURS = {
    "running": "#1f6feb",
    "finished": "#1a7f37",
    "failed": "#cf222e",
    "crashed": "#bc4c00",
    "preempting": "#9a6700",
    "killed": "#6e7781",
    "offline": "#6e7781",
    "pending": "#6e7781",
    "syncing": "#9a6700",
    "synced": "#1a7f37",
    "error": "#cf222e",
}
ALERT_COLOURS = {"INFO": "#1f6feb", "WARN": "#9a6700", "ERROR": "#cf222e"}
UPLOAD_LABELS = {"error": "sync error", "pending": "not uploaded"}
MAX_METRICS = 6


@dataclasses.dataclass(frozen=True)
class Card:
    """Everything shown about one run at one moment."""

    name: str
    run_id: str
    project: str
    link: str
    offline: bool
    status: str
    reason: str = ""
    elapsed: str = ""
    step: int = 0
    metrics: tuple[tuple[str, str], ...] = ()
    upload_state: str = "offline"
    uploaded: int = 0
    total: int = 0
    upload_error: str = ""
    sync_text: str = ""
    alerts: tuple[tuple[str, str, str], ...] = ()  # (level, title, text), newest first
    media: tuple[tuple[str, str], ...] = ()  # (key, HTML): latest images, table head
    system: str = ""  # the latest system-metrics sample, in brief


class RecentMetrics:
    """The latest value of each logged key, most recently logged first."""

    def __init__(self) -> None:
        self._values: OrderedDict[str, str] = OrderedDict()
        self._row: dict[str, Any] | None = None
        self.media: dict[str, dict[str, Any]] = {}  # key -> latest media reference

    def update(self, row: dict[str, Any]) -> None:
        if row is self._row:
            return
        self._row = row
        for key, value in row.items():
            if type(value) is dict and "_type" in value:
                self.media.pop(key, None)
                self.media[key] = value  # the most recently logged last
            elif not key.startswith("_"):
                self._values[key] = format_value(value)
                self._values.move_to_end(key)

    def top(self, count: int = MAX_METRICS) -> tuple[tuple[str, str], ...]:
        return tuple(reversed(list(self._values.items())[-count:]))


def format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if len(text) <= 24 else text[:23] + "…"


def format_elapsed(seconds: float) -> str:
    whole = int(max(seconds, 0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def upload_status(run: Run, ask: bool = True) -> dict[str, Any]:
    """The run's upload state; ``ask=False`` assumes it for offline runs without asking.

    Asking an offline run loads the upload machinery (tens of ms of imports), so the first,
    synchronous render skips it and the widget's background refresh asks.
    """
    method = getattr(run, "upload_status", None)
    if callable(method) and (ask or not run.offline):
        try:
            return dict(method())
        except Exception as exc:
            return {"state": "error", "uploaded": 0, "total": 0, "error": repr(exc)}
    return {"state": "offline" if run.offline else "pending", "uploaded": 0, "total": 0}


def link_of(run: Run) -> str:
    """The run page for online runs, else the run directory (relative to the cwd when inside)."""
    if run.url:
        return run.url
    try:
        relative = os.path.relpath(run.dir)
    except ValueError:
        return run.dir
    return run.dir if relative.startswith("..") else relative


def snapshot(run: Run, metrics: RecentMetrics, sync_text: str = "", uploads: bool = True) -> Card:
    metrics.update(run.latest)
    upload = upload_status(run, uploads)
    return Card(
        name=run.name,
        run_id=run.id,
        project=run.project if not run.entity else f"{run.entity}/{run.project}",
        link=link_of(run),
        offline=run.offline,
        status=run.state,
        reason=(run.finish_reason or "") if run.finished else "",
        elapsed=format_elapsed(run.runtime),
        step=run.step,
        metrics=metrics.top(),
        upload_state=str(upload.get("state") or "offline"),
        uploaded=int(upload.get("uploaded") or 0),
        total=int(upload.get("total") or 0),
        upload_error=str(upload.get("error") or ""),
        sync_text=sync_text,
        alerts=_alerts(run),
        media=_media(run, metrics),
        system=system_line(getattr(getattr(run, "_sampler", None), "latest", None) or {}),
    )


def _alerts(run: Any) -> tuple[tuple[str, str, str], ...]:
    """(level, title, text) of the run's latest alerts; without any, alerts.py stays unloaded."""
    if getattr(run, "_alerts", None) is None:
        return ()
    from nbtrack.runparts import alerts

    return tuple((a.level, a.title, a.text) for a in alerts.recent(run))


SYSTEM_PARTS = (
    ("system.cpu", "CPU {:.0f}%"),
    ("system.proc.cpu.percent", "process {:.0f}%"),
    ("system.proc.memory.rssMB", "RSS {:.0f} MB"),
    ("system.memory", "memory {:.0f}%"),
)


def system_line(sample: dict[str, Any]) -> str:
    """``CPU 12% · process 3% · RSS 250 MB · memory 41% · GPU0 80% 5120 MB`` (nbtrack.system)."""
    parts = [text.format(sample[k]) for k, text in SYSTEM_PARTS if k in sample]
    index = 0
    while f"system.gpu.{index}.gpu" in sample:
        used = sample.get(f"system.gpu.{index}.memoryAllocatedMB", 0.0)
        parts.append(f"GPU{index} {sample[f'system.gpu.{index}.gpu']:.0f}% {used:.0f} MB")
        index += 1
    return " · ".join(parts)


def _media(run: Run, metrics: RecentMetrics) -> tuple[tuple[str, str], ...]:
    if not metrics.media or not run.dir:
        return ()
    from nbtrack.jupyter import mediacard

    return mediacard.render(run.dir, metrics.media)


def badge(label: str, state: str) -> str:
    colour = COLOURS.get(state, "#6e7781")
    style = (
        f"background:{colour};color:#fff;border-radius:8px;padding:0 7px;"
        "font-size:11px;margin-left:4px;white-space:nowrap"
    )
    return (
        f'<span class="nbtrack-badge nbtrack-{state}" style="{style}">{html.escape(label)}</span>'
    )


def upload_label(card: Card) -> str:
    label = UPLOAD_LABELS.get(card.upload_state, card.upload_state)
    if card.total and card.upload_state in ("syncing", "pending"):
        label += f" {card.uploaded}/{card.total}"
    return label


def link_html(card: Card) -> str:
    target = html.escape(card.link)
    if not card.link.startswith(("http://", "https://")):
        return f'run directory <code class="nbtrack-link">{target}</code>'
    return f'<a class="nbtrack-link" href="{target}" target="_blank" rel="noopener">{target}</a>'


def status_line(card: Card) -> str:
    parts = [badge(card.status, card.status)]
    if card.offline:
        parts.append(badge("offline", "offline"))
    if card.upload_state != "offline":
        parts.append(badge(upload_label(card), card.upload_state))
    return "".join(parts)


def to_html(card: Card, with_name: bool = True) -> str:
    """The card as a self-contained HTML block (no scripts, inline styles only)."""
    esc = html.escape
    name = f'<b class="nbtrack-name">{esc(card.name)}</b>' if with_name else ""
    lines = [
        f'<div class="nbtrack-head">{name}{status_line(card)}</div>',
        f'<div>ID <code class="nbtrack-id">{esc(card.run_id)}</code> · project '
        f"<code>{esc(card.project)}</code> · {link_html(card)}</div>",
        f'<div class="nbtrack-progress">elapsed <span class="nbtrack-elapsed">{card.elapsed}'
        f'</span> · step <span class="nbtrack-step">{card.step}</span>'
        f"{upload_counts(card)}</div>",
    ]
    if card.metrics:
        cells = " · ".join(f"{esc(k)} <b>{esc(v)}</b>" for k, v in card.metrics)
        lines.append(f'<div class="nbtrack-metrics">{cells}</div>')
    if card.system:
        lines.append(f'<div class="nbtrack-system">system {esc(card.system)}</div>')
    lines.extend(alert_line(level, title, text) for level, title, text in card.alerts)
    lines.extend(
        f'<div class="nbtrack-media"><code>{esc(key)}</code><br>{block}</div>'
        for key, block in card.media
    )
    if card.reason:
        lines.append(f'<div class="nbtrack-reason">{esc(card.status)}: {esc(card.reason)}</div>')
    if card.upload_error:
        lines.append(f'<div class="nbtrack-error">sync error: {esc(card.upload_error)}</div>')
    if card.sync_text:
        lines.append(f'<div class="nbtrack-sync">{esc(card.sync_text)}</div>')
    style = "font-size:13px;line-height:1.6;padding:2px 0"
    return f'<div class="nbtrack-run" style="{style}">{"".join(lines)}</div>'


def alert_line(level: str, title: str, text: str) -> str:
    colour = ALERT_COLOURS.get(level, "#6e7781")
    short = text if len(text) <= 200 else text[:199] + "…"
    return (
        f'<div class="nbtrack-alert nbtrack-alert-{html.escape(level.lower())}" '
        f'style="border-left:3px solid {colour};padding-left:6px">'
        f"<b>{html.escape(level)}</b> {html.escape(title)}: {html.escape(short)}</div>"
    )


def upload_counts(card: Card) -> str:
    if not card.total:
        return ""
    return f' · uploaded <span class="nbtrack-uploaded">{card.uploaded}/{card.total}</span>'


def to_text(card: Card) -> str:
    head = f"nbtrack run {card.name} ({card.run_id}) · {card.project} · {card.status}"
    if card.offline:
        head += " · offline"
    lines = [head, f"  {card.link}"]
    if card.reason:
        lines.append(f"  {card.reason}")
    return "\n".join(lines)
