"""The widgets' front-end: uPlot (vendored into the package at build time by ``hatch_build.py``)
and nbtrack's chart code, joined into one ES module. Nothing is loaded from a CDN."""

from __future__ import annotations

import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
VENDOR = PACKAGE / "server" / "static" / "vendor"
STATIC = Path(__file__).resolve().parent / "static"


@functools.cache
def esm() -> str:
    """uPlot's browser build (it defines ``uPlot`` in the module's scope), then charts.js."""
    return _vendor("uPlot.iife.min.js") + "\n" + (STATIC / "charts.js").read_text("utf-8")


@functools.cache
def css() -> str:
    return _vendor("uPlot.min.css") + "\n" + (STATIC / "charts.css").read_text("utf-8")


def _vendor(name: str) -> str:
    path = VENDOR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: nbtrack's charts need uPlot, vendored when nbtrack is built; "
            "reinstall nbtrack (pip install nbtrack), or run `python hatch_build.py` in a checkout."
        )
    return path.read_text("utf-8")
