"""What the compare widget draws, as plain data: series per metric and run, group bands, colours,
legend labels and the config diff. Pure functions over ``RunData``; no widget code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nbtrack import series
from nbtrack.jupyter.compare.runlogs import RunData
from nbtrack.jupyter.compare.stream import Stream

AXES = {"_step": "step", "_runtime": "relative time (s)", "_timestamp": "wall time"}
BINS = 200
LEGEND_KEYS = 3
Line = dict[str, list[float]]


def line(stream: Stream | None, x: str) -> Line:
    """A stream's points at ``x``: the step, ``_runtime``, ``_timestamp`` or the chosen x key."""
    xs: list[float] = []
    ys: list[float] = []
    if stream is None:
        return {"x": xs, "y": ys}
    column = {"_runtime": 0, "_timestamp": 1}.get(x, 2)
    for step, value, extra in stream.points():
        at = float(step) if x == "_step" else (extra[column] if extra else None)
        if at is not None:
            xs.append(at)
            ys.append(value)
    return {"x": xs, "y": ys}


def colours(run_ids: Sequence[str]) -> dict[str, str]:
    """Distinct colours for the runs drawn together (``nbtrack.series.colours``, the web
    workspace's rule too)."""
    return series.colours(run_ids)


def flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config as dotted keys (``{"opt": {"lr": 1}}`` -> ``{"opt.lr": 1}``)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "value" not in value:
            out.update(flat(value, name + "."))
        else:
            out[name] = (
                value.get("value") if isinstance(value, dict) and "value" in value else value
            )
    return out


def text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if value is None or isinstance(value, bool | int | str):
        return "—" if value is None else str(value)
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:39] + "…"


def config_diff(runs: Sequence[RunData]) -> dict[str, Any]:
    """Config keys as columns, differing keys first; ``rows`` holds each run's values as text."""
    configs = [flat(run.config) for run in runs]
    keys = sorted({key for config in configs for key in config if not key.startswith("_")})
    differs = [k for k in keys if len({text(c.get(k)) for c in configs}) > 1]
    same = [k for k in keys if k not in differs]
    ordered = differs + same
    rows = [[text(config.get(k)) for k in ordered] for config in configs]
    return {"keys": ordered, "differs": len(differs), "rows": rows}


def legend_label(run: RunData, keys: Sequence[str]) -> str:
    config = flat(run.config)
    shown = [f"{k}={text(config[k])}" for k in keys if k in config]
    return f"{run.name or run.run_id}" + (f" ({', '.join(shown)})" if shown else "")


def group_value(run: RunData, group_by: str) -> str:
    """The run's group: a config key (``"config.lr"`` or ``"lr"``), its value as text."""
    key = group_by.removeprefix("config.")
    return text(flat(run.config).get(key))


def bands(lines: dict[str, Line], runs: Sequence[RunData], group_by: str) -> list[dict[str, Any]]:
    """One mean line with a min-max band per group (``nbtrack.series.group``)."""
    members: dict[str, list[Line]] = {}
    for run in runs:
        if run.run_id in lines:
            members.setdefault(group_value(run, group_by), []).append(lines[run.run_id])
    palette = colours([f"group:{name}" for name in members])
    out = []
    for name, group_lines in members.items():
        band = series.group([(ln["x"], ln["y"]) for ln in group_lines], BINS)
        out.append(
            {
                "group": name,
                "label": f"{group_by.removeprefix('config.')}={name} ({len(group_lines)} runs)",
                "colour": palette[f"group:{name}"],
                "x": band.xs,
                "mean": band.mean,
                "low": band.low,
                "high": band.high,
            }
        )
    return out


def metric_names(runs: Sequence[RunData], wanted: Sequence[str] | None) -> list[str]:
    """The panels: ``wanted`` in order, else every metric any run logged (not hidden), sorted."""
    if wanted:
        return list(wanted)
    hidden = {
        name for run in runs for name, rule in run.metrics.items() if rule.get("hidden") is True
    }
    return sorted({key for run in runs for key in run.streams if key not in hidden})
