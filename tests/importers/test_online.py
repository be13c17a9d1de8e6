"""``--online``: the imported runs are uploaded at once to the real server."""

from __future__ import annotations

from typing import Any

import nbtrack
from nbtrack import importers
from tests.liveserver import LiveServer


def test_imported_runs_are_uploaded(sources: dict[str, Any], target: LiveServer) -> None:
    logdir, _ = sources["tensorboard"]
    report = importers.from_tensorboard(logdir, project="tb-online", online=True, progress=False)
    assert report.problems == [] and len(report.runs) == 3
    server = nbtrack.Api(target.url, target.admin_key)
    for imported in report.runs:
        here = nbtrack.Api.local().run(str(imported.run_id))
        there = server.run(f"tb-online/{imported.run_id}")
        assert list(there.scan_history()) == list(here.scan_history())
        assert (there.name, there.config, there.state) == (here.name, here.config, "finished")
