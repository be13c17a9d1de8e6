"""When to try the server again: exponential backoff with jitter, and the server's Retry-After.

The exponent is capped, so a retry loop that fails for hours still waits at most ``cap`` seconds
(and never overflows); a ``Retry-After`` the server sent (seconds or an HTTP date) is a floor.
"""

from __future__ import annotations

import email.utils
import random
import time
from datetime import timezone

MAX_EXPONENT = 16
LONGEST_RETRY_AFTER = 600.0


class Backoff:
    """Exponential backoff with jitter, for retries that must not hammer a sick server."""

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        self.base, self.cap, self.failures = base, cap, 0
        self.next_attempt = 0.0
        self.asked_until = 0.0  # the time the server's last Retry-After points to

    def ready(self) -> bool:
        return time.monotonic() >= self.next_attempt

    def pause(self) -> float:
        """Seconds until the next attempt is due (0: now)."""
        return max(0.0, self.next_attempt - time.monotonic())

    def failed(self, retry_after: float | None = None) -> float:
        """Note a failure; returns the delay before the next attempt."""
        self.failures += 1
        exponent = min(self.failures - 1, MAX_EXPONENT)
        delay = min(self.cap, self.base * 2.0**exponent) * random.uniform(0.5, 1.0)
        now = time.monotonic()
        if retry_after is not None:
            delay = max(delay, min(retry_after, LONGEST_RETRY_AFTER))
            self.asked_until = now + min(retry_after, LONGEST_RETRY_AFTER)
        self.next_attempt = now + delay
        return delay

    def hurry(self) -> None:
        """Make the next attempt due now, unless the server asked to wait longer."""
        self.next_attempt = min(self.next_attempt, max(time.monotonic(), self.asked_until))

    def succeeded(self) -> None:
        self.failures, self.next_attempt, self.asked_until = 0, 0.0, 0.0


def retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date), or None."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())
