"""A tqdm bar per imported run, counting the steps written (``tqdm.auto``: a widget in a
notebook, text in a terminal)."""

from __future__ import annotations

from typing import Any


class Progress:
    """``start(label)`` opens a bar, ``rows(n)`` moves it, ``stop()`` closes it."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def start(self, label: str) -> None:
        if not self.enabled:
            return
        from tqdm.auto import tqdm

        self.stop()
        self.bar = tqdm(desc=label, unit=" steps", dynamic_ncols=True, leave=True)

    def rows(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count - self.bar.n)

    def stop(self, count: int | None = None) -> None:
        if self.bar is not None:
            if count is not None:
                self.rows(count)
            self.bar.close()
            self.bar = None
