"""Progress bars for ``nbtrack sync`` and ``%nbtrack sync``: one tqdm bar per run, each on its
own line (``tqdm.auto``: a widget in a notebook, text in a terminal)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any


class ProgressBars:
    """A ``progress`` callback for :func:`nbtrack.sync`; use it as a context manager."""

    def __init__(self, **options: Any) -> None:
        self.options = {"unit": " records", "dynamic_ncols": True, **options}
        self.bars: dict[str, Any] = {}
        self.current: Any = None

    def __call__(self, path: str, sent: int, total: int) -> None:
        bar = self.bars.get(path)
        if bar is None:
            bar = self.bars[path] = self._open(Path(path).name, total)
        bar.total = max(total, sent)
        bar.update(sent - bar.n)

    def _open(self, name: str, total: int) -> Any:
        from tqdm.auto import tqdm

        self.close()  # the run before is done: its bar stays on its own line
        self.current = tqdm(total=total, desc=name, **self.options)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
