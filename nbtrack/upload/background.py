"""The online run's background upload: a thread that sends what the run log gains.

Nothing the server does makes ``finish()`` raise: a refusal stops the upload (the log stays for
``nbtrack sync``), an overloaded server is retried with capped backoff and jitter, as late as its
``Retry-After`` asks, and a server that never answered while the run lived gets one more try at
``finish()``, not the whole ``finish_timeout``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from nbtrack.errors import CommError, ServerError
from nbtrack.upload.backoff import Backoff
from nbtrack.upload.uploader import Uploader, UploadLock
from nbtrack.worker import Worker


class BackgroundUpload:
    """The online run's uploader thread: sends what the log gains, retries with backoff."""

    HEARTBEAT_SECONDS = 15.0

    def __init__(self, uploader: Uploader, interval: float = 0.5) -> None:
        self.uploader = uploader
        self.backoff = Backoff()
        self.lock: UploadLock | None = None
        self.fatal = False
        self.reached = uploader.url is not None  # the server answered init() or an upload
        self.down = False  # the last attempt could not reach the server at all
        self._last_contact = 0.0
        self._mutex = threading.Lock()
        self.worker = Worker(f"upload-{uploader._run_id}", self.tick, interval)

    def start(self) -> None:
        try:
            self.lock = UploadLock(self.uploader.path)
        except BlockingIOError:
            self.uploader.state, self.uploader.error = "error", "another process is uploading it"
            return
        self.worker.start()

    def tick(self) -> None:
        if self.fatal or not self.backoff.ready():
            return
        with self._mutex:
            self._attempt(self._send_new)

    def _send_new(self) -> None:
        uploader = self.uploader
        if uploader.progress.byte < uploader.log_size():
            uploader.state = "syncing"
            while uploader.step():
                self._last_contact = time.monotonic()
        elif time.monotonic() - self._last_contact > self.HEARTBEAT_SECONDS:
            uploader.heartbeat()
            self._last_contact = time.monotonic()

    def _attempt(self, send: Callable[[], Any]) -> bool:
        """Run ``send``; True when it went through. Server trouble is noted, never raised."""
        self.down = False
        try:
            send()
        except ServerError as exc:
            self._failed(exc, fatal=not exc.retryable, retry_after=exc.retry_after)
            return False
        except CommError as exc:
            self.down = True
            self._failed(exc, fatal=False)
            return False
        except Exception as exc:  # e.g. a run log that cannot be read: stop, keep the log
            self._failed(exc, fatal=True)
            return False
        self.reached = True
        self.uploader.state, self.uploader.error = "synced", None
        self.backoff.succeeded()
        return True

    def _failed(self, exc: Exception, fatal: bool, retry_after: float | None = None) -> None:
        self.uploader.state, self.uploader.error = "error", str(exc)
        if fatal:
            self.fatal = True  # e.g. the key was revoked: local data stays for `nbtrack sync`
        else:
            self.backoff.failed(retry_after)

    def finish(self, timeout: float) -> int:
        """Stop the thread, send what is left for up to ``timeout`` s; returns records left."""
        deadline = time.monotonic() + timeout
        self.worker.stop(timeout)
        if self.lock is None:  # another process is uploading this run: it sends the rest
            return self.uploader.total_records() - self.uploader.progress.offset
        if self._mutex.acquire(timeout=max(0.0, deadline - time.monotonic())):
            try:  # else the thread is still waiting for an answer: leave it to sync
                self._send_rest(deadline)
            finally:
                self._mutex.release()
        if self.lock is not None:
            self.lock.release()
        return self.uploader.total_records() - self.uploader.progress.offset

    def _send_rest(self, deadline: float) -> None:
        """Drain until done, refused, past the deadline, or down with nothing ever sent."""
        transport, longest = self.uploader.transport, self.uploader.transport.timeout
        self.backoff.hurry()
        while not self.fatal:
            wait = self.backoff.pause()
            if time.monotonic() + wait >= deadline:
                break  # the server asked for more time than is left
            time.sleep(wait)
            transport.timeout = max(1.0, min(longest, deadline - time.monotonic()))
            if self._attempt(lambda: self.uploader.drain(deadline)):
                break
            if self.down and not self.reached:
                break  # never reached while the run lived, and still down: leave it to sync
        transport.timeout = longest
