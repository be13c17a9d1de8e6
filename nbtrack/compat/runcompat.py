"""The parts of wandb's ``Run`` surface that only describe a run: its path, links and HTML.

:class:`~nbtrack.Run` inherits them; they read the run's fields and change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtrack.settings import Settings


class RunLinks:
    """``run.path``, ``get_url()``, ``get_project_url()``, ``project_name()``, ``display()``."""

    id: str
    project: str
    entity: str | None
    url: str | None
    settings: Settings

    @property
    def path(self) -> str:
        """``"entity/project/id"`` as in wandb (the run's folder is ``run.dir``)."""
        return f"{self.entity or ''}/{self.project}/{self.id}".lstrip("/")

    @property
    def sweep_id(self) -> None:
        """Always ``None``: nbtrack has no sweeps yet."""
        return None

    def project_name(self) -> str:
        return self.project

    def get_url(self) -> str | None:
        """The run's page on the server (``None`` for a run the server has not seen)."""
        return self.url

    def get_project_url(self) -> str | None:
        """The project's page on the server (``None`` for a run the server has not seen)."""
        if self.url is None:
            return None
        return self.url.rsplit("/runs/", 1)[0]

    def to_html(self, height: int = 420, hidden: bool = False) -> str:
        """The run's card as HTML (name, ID, link, state); ``hidden=True`` gives ``""``."""
        from nbtrack.jupyter import card as cards

        if hidden:
            return ""
        card = cards.snapshot(self, cards.RecentMetrics(), uploads=False)  # type: ignore[arg-type]
        return f'<div style="max-height:{int(height)}px;overflow:auto">{cards.to_html(card)}</div>'

    def display(self, height: int = 420, hidden: bool = False) -> bool:
        """Show the live run widget in a notebook (the HTML card elsewhere in IPython); the
        widget sizes itself, so ``height`` is accepted for wandb's sake only.

        Returns False where nothing can be shown (no IPython) or when ``hidden``.
        """
        from nbtrack import environment

        if hidden or not environment.in_ipython():
            return False
        from IPython.display import display

        display(self)  # type: ignore[no-untyped-call]
        return True
