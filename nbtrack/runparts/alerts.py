"""``run.alert(title, text, level, wait_duration)``: a notice from training code.

An alert is an ``alert`` record in the run log (shown by the notebook widget, uploaded with the
run; the server shows it on the run page and posts it to the entity's webhook, if an admin set
one). As in wandb, alerts are rate-limited per title on the client: an alert whose title was sent
less than ``wait_duration`` ago (default one minute) is dropped. Unlike wandb,
``wait_duration=0`` means "no wait" rather than the default.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack._run import Run

DEFAULT_WAIT = 60.0
MAX_TITLE = 1024
MAX_TEXT = 100_000
SHOWN = 5  # alerts the widget shows, newest first


class AlertLevel(str, enum.Enum):
    """How serious an alert is (wandb's names and values)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


@dataclasses.dataclass(frozen=True)
class Alert:
    title: str
    text: str
    level: str
    at: float


class Alerts:
    """One per run: the last time each title went out, and the recent alerts."""

    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.recent: list[Alert] = []

    def due(self, title: str, wait: float, now: float) -> bool:
        last = self.sent_at.get(title)
        return last is None or now - last >= wait


def level_of(level: Any) -> str:
    if level is None:
        return AlertLevel.INFO.value
    if isinstance(level, AlertLevel):
        return level.value
    if isinstance(level, str) and level.upper() in AlertLevel.__members__:
        return level.upper()
    raise ValueError(
        f"level={level!r} is not an alert level; use nbtrack.AlertLevel.INFO, WARN or ERROR "
        "(or the strings 'INFO', 'WARN', 'ERROR')."
    )


def seconds_of(wait_duration: Any) -> float:
    if wait_duration is None:
        return DEFAULT_WAIT
    if isinstance(wait_duration, timedelta):
        wait_duration = wait_duration.total_seconds()
    if isinstance(wait_duration, bool) or not isinstance(wait_duration, int | float):
        raise TypeError(
            f"wait_duration={wait_duration!r} must be seconds (int or float) or a timedelta."
        )
    if not wait_duration >= 0:
        raise ValueError(f"wait_duration={wait_duration!r} must be 0 or more seconds.")
    return float(wait_duration)


def check_text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or (name == "title" and not value.strip()):
        raise TypeError(f"alert {name} must be a non-empty string, not {value!r}.")
    if len(value) > limit or "\x00" in value:
        raise ValueError(f"alert {name} must be at most {limit} characters, without NUL.")
    return value


def send(run: Run, title: Any, text: Any, level: Any = None, wait_duration: Any = None) -> bool:
    """Record the alert unless its title was sent within ``wait_duration``; True if recorded."""
    title = check_text("title", title, MAX_TITLE)
    text = check_text("text", text, MAX_TEXT)
    name, wait = level_of(level), seconds_of(wait_duration)
    state = alerts_of(run)
    now = time.time()
    if not state.due(title, wait, now):
        return False
    run._record("alert", {"title": title, "text": text, "level": name, "at": now})
    state.sent_at[title] = now
    state.recent = [Alert(title, text, name, now), *state.recent][:SHOWN]
    return True


def alerts_of(run: Any) -> Alerts:
    found = getattr(run, "_alerts", None)
    if found is None:
        found = Alerts()
        run._alerts = found
    return found


def recent(run: Any) -> tuple[Alert, ...]:
    """The run's latest alerts, newest first (for the widget)."""
    found = getattr(run, "_alerts", None)
    return tuple(found.recent) if found is not None else ()
