"""``define_metric``: a metric's x-axis (step metric), its summary aggregation, and visibility.

Semantics follow wandb: a name may end with ``*`` (a glob on the key's prefix, ``"val/*"``);
``summary`` is a comma-separated choice of ``min max mean last first best none`` (``best`` with
``goal="minimize"|"maximize"``); with a summary aggregation, ``run.summary[key]`` reads e.g.
``{"min": 0.3}``, and ``none`` keeps the key out of the summary. ``step_sync`` (on by default with a
``step_metric``) copies the step metric's latest value into rows that lack it. A new definition of
the same name is merged into the previous one unless ``overwrite=True``.

Each definition, merged, is one ``metric`` record in the run log (see :mod:`nbtrack.runlog`).

On ``log()``, with a glob among the definitions, what they mean for a row is worked out once per
set of keys (a :class:`Plan`) and cached, so a row whose keys were seen before costs a tuple of its
keys, one dict lookup and the work the plan names; with exact names only, the few names are checked
in the row directly (cheaper than the lookup).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

from nbtrack.errors import UsageError

SUMMARY_OPS = frozenset({"min", "max", "mean", "last", "first", "best", "none", "copy"})
GOALS = {"min": "minimize", "max": "maximize"}
_MISSING = object()
MAX_PLANS = 1024  # distinct key sets remembered; more (keys named by step?) start afresh


@dataclasses.dataclass(frozen=True)
class Metric:
    """One ``define_metric`` definition (what ``define_metric`` returns)."""

    name: str
    step_metric: str | None = None
    step_sync: bool = False
    hidden: bool | None = None  # None: not given (what wandb answers then)
    summary: tuple[str, ...] | None = None
    goal: str | None = None

    def merged_into(self, previous: Metric | None) -> Metric:
        """wandb's merge: flags are or-ed, summaries added, given fields replace earlier ones."""
        if previous is None:
            return self
        summary = self.summary
        if previous.summary and summary is not None:
            kept = () if "none" in summary else tuple(s for s in previous.summary if s != "none")
            summary = tuple(dict.fromkeys(kept + summary))
        return Metric(
            self.name,
            self.step_metric or previous.step_metric,
            self.step_sync or previous.step_sync,
            self.hidden or previous.hidden,
            summary if summary is not None else previous.summary,
            self.goal or previous.goal,
        )

    def record(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        fields["hidden"] = bool(self.hidden)
        fields["summary"] = list(self.summary) if self.summary is not None else None
        return fields

    @classmethod
    def from_record(cls, payload: dict[str, Any]) -> Metric:
        """A definition from a ``metric`` record (or the server's copy); odd fields are dropped."""
        summary, step, goal = (
            payload.get("summary"),
            payload.get("step_metric"),
            payload.get("goal"),
        )
        ops = [s for s in summary if s in SUMMARY_OPS] if isinstance(summary, list) else None
        return cls(
            name=str(payload["name"]),
            step_metric=step if isinstance(step, str) else None,
            step_sync=payload.get("step_sync") is True,
            hidden=payload.get("hidden") is True,
            summary=tuple(ops) if ops is not None else None,
            goal=goal if goal in GOALS.values() else None,
        )

    def matches(self, key: str) -> bool:
        if self.name.endswith("*"):
            return key.startswith(self.name[:-1]) and not key.startswith("_")
        return key == self.name


def define(
    name: Any,
    step_metric: Any = None,
    step_sync: Any = None,
    hidden: Any = None,
    summary: Any = None,
    goal: Any = None,
    overwrite: Any = None,
) -> Metric:
    """A checked :class:`Metric` from ``define_metric``'s arguments (wandb's rules)."""
    if isinstance(step_metric, Metric):
        step_metric = step_metric.name
    _check_types(name, step_metric, step_sync, hidden, summary, goal, overwrite)
    if not name:
        raise UsageError("define_metric() needs a metric name, e.g. define_metric('val/loss').")
    if "*" in name[:-1]:
        raise UsageError(
            f"define_metric({name!r}): '*' may only end the name (a prefix glob, e.g. 'val/*')."
        )
    ops = _summary_ops(summary)
    cleaned_goal = _goal(goal)
    if ops and "best" in ops and cleaned_goal is None:
        raise UsageError(
            f"define_metric({name!r}, summary='best') needs goal='minimize' or 'maximize' "
            "(or use summary='min' / 'max')."
        )
    sync = step_sync if step_sync is not None else step_metric is not None
    return Metric(name, step_metric, sync, hidden, ops, cleaned_goal)


def _check_types(name: Any, step_metric: Any, *flags_and_text: Any) -> None:
    step_sync, hidden, summary, goal, overwrite = flags_and_text
    expected = (
        ("name", name, str),
        ("step_metric", step_metric, str),
        ("step_sync", step_sync, bool),
        ("hidden", hidden, bool),
        ("summary", summary, str),
        ("goal", goal, str),
        ("overwrite", overwrite, bool),
    )
    for argument, value, kind in expected:
        if value is not None and not isinstance(value, kind):
            raise UsageError(
                f"define_metric(): {argument} must be a {kind.__name__}, not "
                f"{type(value).__name__} ({value!r})."
            )


def _summary_ops(summary: str | None) -> tuple[str, ...] | None:
    if not summary:
        return None
    ops = tuple(dict.fromkeys(s.strip().lower() for s in summary.split(",")))
    unknown = [s for s in ops if s not in SUMMARY_OPS]
    if unknown:
        raise UsageError(
            f"define_metric(): summary {unknown[0]!r} is not an aggregation; use any of "
            "min, max, mean, last, first, best, none (comma-separated)."
        )
    return ops


def _goal(goal: str | None) -> str | None:
    if goal is None:
        return None
    cleaned = GOALS.get(goal[:3].lower())
    if cleaned is None:
        raise UsageError(f"define_metric(): goal={goal!r} must be 'minimize' or 'maximize'.")
    return cleaned


class Stats:
    """One key's summary under a definition with ``summary=``, kept current in ``out``
    (``{"min": 0.3}``, ``{"max": 0.9, "mean": 0.5}``...) as values arrive."""

    __slots__ = (
        "best",
        "count",
        "drop",
        "first",
        "keep_last",
        "keep_mean",
        "last",
        "maximum",
        "minimum",
        "ops",
        "out",
        "total",
    )

    def __init__(self, metric: Metric) -> None:
        ops = frozenset(metric.summary or ())
        self.ops = ops
        self.drop = "none" in ops
        self.best = None if "best" not in ops else metric.goal == "minimize"  # True: lowest
        self.keep_last, self.keep_mean = "last" in ops, "mean" in ops
        self.out: dict[str, Any] = {}
        self.first: Any = _MISSING
        self.last: Any = None
        self.count = 0
        self.total = 0.0
        self.minimum: Any = None
        self.maximum: Any = None

    @property
    def seen(self) -> bool:
        return self.first is not _MISSING

    def add(self, value: Any) -> None:
        """One logged value (the hot path: a few comparisons, ``out`` updated where it changed)."""
        if type(value) is float and self.count and value == value:  # the usual case, in short
            self.last = value
            if self.keep_last:
                self.out["last"] = value
        else:
            value = self._start(value)
            if value is _MISSING:
                return
        if value < self.minimum:
            self.minimum = value
            self._extreme("min", value, True)
        elif value > self.maximum:
            self.maximum = value
            self._extreme("max", value, False)
        self.count += 1
        self.total += value
        if self.keep_mean:
            self.out["mean"] = self.total / self.count

    def _start(self, value: Any) -> Any:
        """The rarer values (the first, ints, other numbers, NaN): the number ``add`` is to fold
        into min, max and mean, or ``_MISSING`` once the value is taken (or left out)."""
        if self.first is _MISSING:
            self.first = value
            self.rebuild()
        self.last = value
        if self.keep_last:
            self.out["last"] = value
        kind = type(value)
        if kind is not float and kind is not int:
            value = _number(value)
            if value is None:
                return _MISSING
        elif value != value:  # NaN is left out
            return _MISSING
        if not self.count:
            self.minimum = self.maximum = self.total = value
            self.count = 1
            self.rebuild()
            return _MISSING
        return value

    def _extreme(self, name: str, value: Any, lowest: bool) -> None:
        if name in self.ops:
            self.out[name] = value
        if self.best is lowest:
            self.out["best"] = value

    def rebuild(self) -> None:
        """``out`` from the values seen so far (the first value, or a changed definition)."""
        ops, out = self.ops, self.out
        out.clear()
        if self.seen:
            out.update({k: v for k, v in (("first", self.first), ("last", self.last)) if k in ops})
        if self.count:
            found = {"min": self.minimum, "max": self.maximum, "mean": self.total / self.count}
            out.update({k: v for k, v in found.items() if k in ops})
            if self.best is not None:
                out["best"] = self.minimum if self.best else self.maximum


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the definitions do to a row with given keys: the step metrics it sets (remembered),
    the ones step_sync fills in, and the keys aggregated or kept out of the summary."""

    steps: tuple[str, ...]
    fill: tuple[str, ...]
    aggregated: tuple[tuple[str, Stats], ...]
    dropped: tuple[str, ...]


class Metrics:
    """A run's metric definitions and the summary state they need (one per run, under its lock)."""

    def __init__(self) -> None:
        self.exact: dict[str, Metric] = {}
        self.globs: dict[str, Metric] = {}
        self.step_values: dict[str, Any] = {}
        self._seen: set[str] = set()
        self._ruled: dict[str, Stats] = {}  # keys whose definition has summary=
        self._aggregated: list[tuple[str, Stats]] = []  # the same, but for summary="none"
        self._dropped: list[str] = []  # summary="none"
        self._syncing: list[tuple[str, str]] = []
        self._plans: dict[tuple[str, ...], Plan] = {}
        self._current: Plan | None = None  # before_write's plan, for the summarize that follows

    def define(self, metric: Metric, overwrite: bool | None = None) -> Metric:
        """Add a definition; answer the merged one, as the run log records it."""
        table = self.globs if metric.name.endswith("*") else self.exact
        merged = metric if overwrite else metric.merged_into(table.get(metric.name))
        table[merged.name] = merged
        if merged.step_metric:
            self.step_values.setdefault(merged.step_metric, 0)
        self._relearn()
        return merged

    def rule(self, key: str) -> Metric | None:
        """The definition that applies to ``key``: its own, else the first matching glob."""
        found = self.exact.get(key)
        if found is not None:
            return found
        return next((m for m in self.globs.values() if m.matches(key)), None)

    def _relearn(self) -> None:
        """After a definition: every key seen so far, and every exact name, ruled afresh (so
        without globs no row needs looking at for new keys)."""
        seen, self._seen = self._seen, set()
        self._plans, self._current = {}, None
        old, self._ruled, self._syncing = self._ruled, {}, []
        self._learn([*seen, *self.exact], old)

    def _learn(self, keys: Any, old: dict[str, Stats] | None = None) -> None:
        for key in keys:
            if key in self._seen:
                continue
            self._seen.add(key)
            metric = self.rule(key)
            if metric is None:
                continue
            if metric.summary:
                self._ruled[key] = _carry(Stats(metric), (old or {}).get(key))
            if metric.step_sync and metric.step_metric:
                self._syncing.append((key, metric.step_metric))
        self._aggregated = [(k, stats) for k, stats in self._ruled.items() if not stats.drop]
        self._dropped = [k for k, stats in self._ruled.items() if stats.drop]

    def before_write(self, row: dict[str, Any]) -> None:
        """Remember step metrics' values; fill them into rows that lack them (step_sync)."""
        if not self.globs:  # a few exact names: checking them costs less than a plan lookup
            self._current = None
            self._sync_exact(row)
            return
        plan = self._plans.get(tuple(row)) or self._plan(row)
        self._current = plan
        steps = self.step_values
        for name in plan.steps:
            steps[name] = row[name]
        for name in plan.fill:
            row[name] = steps[name]

    def _sync_exact(self, row: dict[str, Any]) -> None:
        steps = self.step_values
        if steps:
            for name in steps:
                if name in row:
                    steps[name] = row[name]
            for key, step_metric in self._syncing:
                if key in row and step_metric not in row:
                    row[step_metric] = steps[step_metric]

    def summarize(self, row: dict[str, Any], summary: dict[str, Any]) -> None:
        """Replace the last values just written into ``summary`` by their aggregations."""
        plan, self._current = self._current, None
        if plan is None and not self.globs:
            self._summarize_exact(row, summary)
            return
        if plan is None:  # not after before_write: the row is as it will be kept
            plan = self._plans.get(tuple(row)) or self._plan(row)
        for key, stats in plan.aggregated:
            stats.add(row[key])
            summary[key] = stats.out
        for key in plan.dropped:
            self._ruled[key].add(row[key])
            del summary[key]

    def _summarize_exact(self, row: dict[str, Any], summary: dict[str, Any]) -> None:
        for key, stats in self._aggregated:
            if key in row:
                stats.add(row[key])
                summary[key] = stats.out
        for key in self._dropped:
            if key in row:
                self._ruled[key].add(row[key])
                del summary[key]

    def _plan(self, row: dict[str, Any]) -> Plan:
        """Learn the row's new keys and cache what the definitions do to rows with its keys."""
        keys = tuple(row)
        if self.globs:
            self._learn(keys)
        present = set(keys)
        fill = dict.fromkeys(
            step for key, step in self._syncing if key in present and step not in present
        )
        after = present | set(fill)
        plan = Plan(
            steps=tuple(name for name in self.step_values if name in present),
            fill=tuple(fill),
            aggregated=tuple((k, stats) for k, stats in self._aggregated if k in after),
            dropped=tuple(k for k in self._dropped if k in after),
        )
        if len(self._plans) >= MAX_PLANS:
            self._plans.clear()
        self._plans[keys] = plan
        return plan

    def final(self, summary: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The aggregated summary values, and the keys ``none`` keeps out of the summary."""
        chosen: dict[str, Any] = {}
        dropped: list[str] = []
        for key, stats in self._ruled.items():
            if stats.drop and stats.seen:
                dropped.append(key)
            elif key in summary and stats.seen:
                chosen[key] = summary[key]
        return chosen, dropped


def _carry(fresh: Stats, old: Stats | None) -> Stats:
    """A redefined metric keeps the values seen so far."""
    if old is not None:
        fresh.first, fresh.last, fresh.count, fresh.total = (
            old.first,
            old.last,
            old.count,
            old.total,
        )
        fresh.minimum, fresh.maximum = old.minimum, old.maximum
        fresh.rebuild()
    return fresh


def chart_axes(definitions: Any, keys: list[str]) -> tuple[dict[str, str], list[str]]:
    """From stored definitions: each key's x-axis (its step metric) and the hidden keys."""
    metrics = Metrics()
    for payload in definitions.values() if isinstance(definitions, dict) else ():
        if isinstance(payload, dict) and isinstance(payload.get("name"), str):
            metrics.define(Metric.from_record(payload), overwrite=True)
    axes: dict[str, str] = {}
    hidden: list[str] = []
    for key in keys:
        rule = metrics.rule(key)
        if rule is not None and rule.step_metric and rule.step_metric != key:
            axes[key] = rule.step_metric
        if rule is not None and rule.hidden:
            hidden.append(key)
    return axes, hidden
