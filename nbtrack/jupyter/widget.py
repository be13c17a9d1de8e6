"""``RunWidget``: the live card of a run in a notebook, with its name editable and two buttons.

The box's own traits (``run_name``, ``run_id``, ``link``, ``status``, ...) are synced and stored
with the notebook's widget state; the visible card is one HTML child redrawn from a ``Card``.
Updates come from the ticker thread, at most every ``MIN_INTERVAL`` seconds and only on change.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from traitlets import Bool, TraitError, Unicode, validate

from nbtrack.errors import RunFinished
from nbtrack.jupyter import card as cards
from nbtrack.jupyter import syncjob
from nbtrack.jupyter.syncjob import SyncJob
from nbtrack.jupyter.ticker import TICKER

if TYPE_CHECKING:
    from nbtrack._run import Run

MIN_INTERVAL = 0.5
RUN_STATES = ("running", "finished", "failed", "crashed", "killed")
UPLOAD_STATES = ("offline", "pending", "syncing", "synced", "error")
FINISHED_HERE = "finished from the widget"


class RunWidget(widgets.VBox):  # type: ignore[misc]
    """A live view of one run: name, ID, project, link, status, progress, metrics, uploads."""

    run_name = Unicode("", help="The run's name; editing the name box renames the run.").tag(
        sync=True
    )
    run_id = Unicode("", help="The run's ID.").tag(sync=True)
    project = Unicode("", help="entity/project, or the project alone.").tag(sync=True)
    link = Unicode("", help="The run page URL, or the run directory when offline.").tag(sync=True)
    offline = Bool(False, help="True for an offline run (kept on disk until synced).").tag(
        sync=True
    )
    status = Unicode("running", help="running, finished, failed, crashed or killed.").tag(sync=True)
    finish_reason = Unicode("", help="Why the run ended, once it has.").tag(sync=True)
    upload_state = Unicode("offline", help="offline, pending, syncing, synced or error.").tag(
        sync=True
    )
    sync_state = Unicode("idle", help="The Sync button: idle, syncing, done or error.").tag(
        sync=True
    )
    sync_result = Unicode("", help="What the last sync did (runs, records, failures).").tag(
        sync=True
    )

    def __init__(self, run: Run, **kwargs: Any) -> None:
        self._run = run
        self._metrics = cards.RecentMetrics()
        self._card: cards.Card | None = None
        self._charts: Any = None
        self._sent_at = 0.0
        self._lock = threading.RLock()
        self._job = syncjob.job(run.settings.root)
        self._job.on_done(self._sync_done)
        self._job.on_start(lambda _job: self.follow_sync())
        self.name_box = widgets.Text(value=run.name, continuous_update=False)
        self.name_box.layout.width = "22em"
        self.body = widgets.HTML()
        self.finish_button = widgets.Button(description="Finish run", icon="stop")
        self.sync_button = widgets.Button(description="Sync offline runs", icon="cloud-upload")
        for button in (self.finish_button, self.sync_button):
            button.layout.width = "auto"
        buttons = widgets.HBox([self.finish_button, self.sync_button])
        super().__init__(children=[self.name_box, self.body, buttons], **kwargs)
        self.add_class("nbtrack-widget")
        self.name_box.observe(self._renamed, names="value")
        self.finish_button.on_click(self._finish_clicked)
        self.sync_button.on_click(self._sync_clicked)
        self.refresh(uploads=False)  # the ticker thread fills in the upload state

    @property
    def run(self) -> Run:
        return self._run

    @validate("status")
    def _valid_status(self, proposal: Any) -> str:
        if proposal["value"] not in RUN_STATES:
            raise TraitError(f"status must be one of {RUN_STATES}, not {proposal['value']!r}")
        return str(proposal["value"])

    @validate("upload_state")
    def _valid_upload(self, proposal: Any) -> str:
        if proposal["value"] not in UPLOAD_STATES:
            raise TraitError(f"upload_state must be one of {UPLOAD_STATES}")
        return str(proposal["value"])

    # -- refreshing -------------------------------------------------------------------------------
    def tick(self) -> bool:
        """Called by the ticker: refresh when due; False once nothing can change any more."""
        if time.monotonic() - self._sent_at >= MIN_INTERVAL:
            self.refresh()
        if self._charts is None and self._run.dir and self._run.latest:
            self._add_charts()
        return self.live

    def _add_charts(self) -> None:
        """Once the run has logged: its metrics as small live charts under the card (made on
        the ticker thread, so ``init()`` does not wait for the chart code to load)."""
        try:
            from nbtrack.jupyter.compare.widget import CompareWidget
        except (ImportError, OSError):  # no anywidget (older jupyter extra) or no uPlot build
            self._charts = False
            return
        self._charts = CompareWidget.for_run(self._run.dir)
        children: list[Any] = list(self.children)  # type: ignore[has-type]
        children.insert(children.index(self.body) + 1, self._charts)
        self.children = children

    @property
    def live(self) -> bool:
        """Can the card still change (run going, a sync running, uploads pending)?"""
        uploading = self.upload_state == "syncing" and not self._run.offline
        return not self._run.finished or self._job.active or uploading

    def refresh(self, uploads: bool = True) -> bool:
        """Redraw from the run now; True if anything was sent."""
        with self._lock:
            card = cards.snapshot(self._run, self._metrics, self._job.text, uploads)
            if card == self._card:
                return False
            self._apply(card)
            return True

    def _apply(self, card: cards.Card) -> None:
        self._card, self._sent_at = card, time.monotonic()
        with self.hold_sync():
            self.run_name, self.run_id, self.project = card.name, card.run_id, card.project
            self.link, self.offline, self.status = card.link, card.offline, card.status
            self.finish_reason, self.upload_state = card.reason, card.upload_state
            self.sync_state = self._job.state
            if self._job.state in ("done", "error"):
                self.sync_result = self._job.text
        self.body.value = cards.to_html(card, with_name=False)
        if self.name_box.value != card.name:
            self.name_box.value = card.name
        self._set_enabled()

    def _set_enabled(self) -> None:
        finished = self._run.finished
        if self.finish_button.disabled != finished:
            self.finish_button.disabled = finished
            self.name_box.disabled = finished
        if self.sync_button.disabled != self._job.active:
            self.sync_button.disabled = self._job.active

    # -- user actions -----------------------------------------------------------------------------
    def _renamed(self, change: dict[str, Any]) -> None:
        new = str(change["new"]).strip()
        if new == self._run.name:
            return
        try:
            self._run.name = new
            self._run.save()
        except (ValueError, RunFinished):
            self.name_box.value = self._run.name
        self.refresh()

    def _finish_clicked(self, _button: Any = None) -> None:
        self._run.finish(reason=FINISHED_HERE)
        self.refresh()

    def _sync_clicked(self, _button: Any = None) -> None:
        self._job.start()  # every widget of the run folder follows it (on_start)

    def follow_sync(self) -> None:
        """Show the sync's progress (also when it was started elsewhere)."""
        self.refresh()
        TICKER.add(self)

    def _sync_done(self, _job: SyncJob) -> None:
        self.refresh()

    @property
    def sync_job(self) -> SyncJob:
        return self._job
