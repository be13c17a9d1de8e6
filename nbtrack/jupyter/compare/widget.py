"""``CompareWidget``: several runs' metrics side by side, live while runs are going.

Synced traits hold the whole view (``series``: per metric, per run, ``{"x": [...], "y": [...]}``
downsampled to at most ``samples`` points; ``bands`` when grouped; ``runs``; ``diff``), so the
notebook's saved widget state holds the last view. While runs log, the shared ticker thread
(``nbtrack.jupyter.ticker``, at most twice a second, never on the kernel's main thread) reads
only what is new in their logs and sends each changed line as a delta message: the points kept
from what the browser has and the new tail. When no run is live any more the traits are set
once more, so the saved state is complete.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import anywidget
from traitlets import Bool, Dict, Float, Int, List, Unicode, validate

from nbtrack import series
from nbtrack.jupyter.compare import bundle, fallback, views
from nbtrack.jupyter.compare.sources import LocalSource, Source
from nbtrack.jupyter.ticker import TICKER

MIN_INTERVAL = 0.5  # at most two updates a second, counting the full refresh
RUN_BUDGET = 256 << 10  # the live run's charts read at most this much of its log per refresh
KEEP_TAIL = 4  # a line's last points may change as its last group fills; earlier ones stay


class CompareWidget(anywidget.AnyWidget):
    """Runs compared: one panel per metric, one line per run (or a band per group)."""

    _esm = Unicode(bundle.esm()).tag(sync=True)
    _css = Unicode(bundle.css()).tag(sync=True)
    mode = Unicode("compare", help="compare: many runs; run: the live run card's charts.").tag(
        sync=True
    )
    runs = List(Dict(), help="id, name, colour, label, state and group of each run.").tag(sync=True)
    panels = List(Unicode(), help="The metrics drawn, one panel each.").tag(sync=True)
    series = Dict(help="metric -> run ID -> {x, y}: the downsampled lines.").tag(sync=True)
    bands = Dict(help="metric -> groups' mean lines and min-max bands (with group_by).").tag(
        sync=True
    )
    x = Unicode("_step", help="The x-axis: _step, _runtime, _timestamp or a logged key.").tag(
        sync=True
    )
    x_options = List(Unicode(), help="The axes the x menu offers.").tag(sync=True)
    smoothing = Float(0.0, help="EMA weight in [0, 1), as TensorBoard and wandb smooth.").tag(
        sync=True
    )
    log_scale = Bool(False, help="Log-scale y axes.").tag(sync=True)
    group_by = Unicode("", help="config.<key>: a mean line and min-max band per value.").tag(
        sync=True
    )
    diff = Dict(help="The config diff table: keys (differing first), rows of values.").tag(
        sync=True
    )
    live = Bool(False, help="True while some run is still logging.").tag(sync=True)
    samples = Int(1000, help="At most this many points per line.").tag(sync=True)
    uid = Unicode(help="Names the model's data in the browser, shared by its views.").tag(sync=True)

    def __init__(
        self,
        sources: list[Source],
        metrics: Sequence[str] | None = None,
        legend: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self._sources = sources
        self._wanted = list(metrics) if metrics else None
        self._legend = list(legend) if legend is not None else None
        self._lock = threading.RLock()
        self._sent: dict[tuple[str, str], views.Line] = {}
        self._polled = 0.0
        kwargs.setdefault("uid", uuid.uuid4().hex)
        super().__init__(**kwargs)
        self.refresh()
        if self.live:
            TICKER.add(self)
        self.observe(self._on_x, names="x")
        self.observe(self._on_group, names="group_by")

    @validate("smoothing")
    def _valid_smoothing(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 0 <= value < 1:
            raise ValueError(f"smoothing {value!r} must be in [0, 1): 0 is no smoothing.")
        return value

    # -- the whole view ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Set every trait from the runs as read so far."""
        with self._lock:
            datas = [source.data for source in self._sources]
            panels = views.metric_names(datas, self._wanted)
            lines = {m: self._lines(m) for m in panels}
            with self.hold_sync():
                self.panels, self.series = panels, lines
                self.runs = self._run_entries()
                self.bands = self._bands(lines)
                self.diff = views.config_diff(datas)
                self.x_options = self._x_options(datas)
                self.live = any(source.live for source in self._sources)
            self._sent = {(m, r): line for m, per in lines.items() for r, line in per.items()}
            self._polled = time.monotonic()

    def _lines(self, metric: str) -> dict[str, views.Line]:
        return {
            s.data.run_id: views.line(s.data.streams.get(metric), self._x_of(s, metric))
            for s in self._sources
            if metric in s.data.streams
        }

    def _x_of(self, source: Source, metric: str) -> str:
        """The compare view's x; a live run's chart uses the metric's ``step_metric``."""
        if self.mode != "run" or not isinstance(source, LocalSource):
            return self.x
        step_metric = series.step_metric_of(source.data.metrics, metric)
        return step_metric if step_metric and step_metric == source.reader.x_key else "_step"

    def _run_entries(self) -> list[dict[str, Any]]:
        datas = [source.data for source in self._sources]
        palette = views.colours([d.run_id for d in datas])
        keys = self._legend
        if keys is None:
            diff = views.config_diff(datas)
            keys = diff["keys"][: min(diff["differs"], views.LEGEND_KEYS)]
        return [
            {
                "id": d.run_id,
                "name": d.name or d.run_id,
                "colour": palette[d.run_id],
                "label": views.legend_label(d, keys),
                "state": d.state,
                "sampled": any(s.sampled for s in self._sources if s.data is d),
                "group": views.group_value(d, self.group_by) if self.group_by else "",
            }
            for d in datas
        ]

    def _bands(self, lines: dict[str, dict[str, views.Line]]) -> dict[str, Any]:
        if not self.group_by:
            return {}
        datas = [source.data for source in self._sources]
        return {m: views.bands(per_run, datas, self.group_by) for m, per_run in lines.items()}

    @staticmethod
    def _x_options(datas: list[Any]) -> list[str]:
        keys = sorted({key for d in datas for key in d.streams})
        return [*views.AXES, *keys]

    # -- live updates -----------------------------------------------------------------------------
    def tick(self) -> bool:
        """Called by the ticker: read what live runs logged and send it; False once all ended."""
        if time.monotonic() - self._polled < MIN_INTERVAL:
            return True
        with self._lock:
            self._polled = time.monotonic()
            budget = RUN_BUDGET if self.mode == "run" else None
            changed = [s for s in self._sources if s.live and s.poll(budget)]
            if not any(s.live for s in self._sources):
                self.refresh()  # the final state goes into the traits (and the saved notebook)
                return False
            if changed:
                self._send_delta(changed)
        return True

    def _send_delta(self, changed: list[Source]) -> None:
        datas = [source.data for source in self._sources]
        panels = views.metric_names(datas, self._wanted)
        if panels != self.panels:
            self.refresh()
            return
        delta: dict[str, dict[str, Any]] = {}
        for metric in panels:
            for source in changed:
                line = views.line(source.data.streams.get(metric), self._x_of(source, metric))
                step = self._step(metric, source.data.run_id, line)
                if step is not None:
                    delta.setdefault(metric, {})[source.data.run_id] = step
        bands = self._bands(self._all_lines(panels)) if self.group_by else None
        self.send({"type": "delta", "series": delta, "runs": self._run_entries(), "bands": bands})

    def _all_lines(self, panels: list[str]) -> dict[str, dict[str, views.Line]]:
        out: dict[str, dict[str, views.Line]] = {}
        for (metric, run_id), line in self._sent.items():
            if metric in panels:
                out.setdefault(metric, {})[run_id] = line
        return out

    def _step(self, metric: str, run_id: str, line: views.Line) -> dict[str, Any] | None:
        """What the browser needs to turn the line it has into ``line``: ``keep`` points, then
        ``x``/``y``; None when nothing changed."""
        old = self._sent.get((metric, run_id), {"x": [], "y": []})
        if old == line:
            return None
        keep = max(0, len(old["x"]) - KEEP_TAIL)
        if line["x"][:keep] != old["x"][:keep] or line["y"][:keep] != old["y"][:keep]:
            keep = 0
        self._sent[(metric, run_id)] = line
        return {"keep": keep, "x": line["x"][keep:], "y": line["y"][keep:]}

    # -- changes from the browser or from Python --------------------------------------------------
    def _on_x(self, change: dict[str, Any]) -> None:
        with self._lock:
            for source in self._sources:
                source.use_x(str(change["new"]))
        self.refresh()

    def _on_group(self, _change: dict[str, Any]) -> None:
        self.refresh()

    @classmethod
    def for_run(cls, folder: Any) -> CompareWidget:
        """The live run card's charts: its metrics as small panels, x from ``define_metric``."""
        from pathlib import Path

        source = LocalSource(Path(folder), 500, None, None)
        source.reader.follow_step_metric = True
        source.poll(RUN_BUDGET)
        return cls([source], mode="run", samples=500)

    # -- static fallbacks -------------------------------------------------------------------------
    def __repr__(self) -> str:
        """The text summary, so ``print(nbtrack.compare(...))`` in a script shows the runs."""
        return fallback.to_text(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle_ = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle_, tuple):
            data, meta = bundle_
        else:
            data, meta = bundle_ or {}, {}
        data = dict(data)
        data["text/html"] = fallback.to_html(self)
        data["text/plain"] = fallback.to_text(self)
        return data, meta
