"""Media read back from local runs and from a server (SQLite and PostgreSQL): byte-equal files,
images as PIL, tables as data frames, online and after ``nbtrack sync``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbtrack
from nbtrack.media.readback import ImageValue, MediaValue, TableValue
from tests.liveserver import LiveServer
from tests.media.mediarun import every_type, media_files, pixels
from tests.server.support import BACKENDS, live_server_for


@pytest.fixture(params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from live_server_for(request.param, tmp_path_factory.mktemp("media-server"))


def _references(row: dict[str, Any]) -> list[MediaValue]:
    found: list[MediaValue] = []
    for value in row.values():
        if isinstance(value, MediaValue) and "path" in value:
            found.append(value)
        elif isinstance(value, dict) and value.get("_type") == "images/separated":
            found += value["items"]
        if isinstance(value, MediaValue) and isinstance(value.get("table"), MediaValue):
            found.append(value["table"])
    return found


def _check_read_back(view: Any, local: dict[str, bytes]) -> None:
    row = next(iter(view.scan_history()))
    references = _references(row)
    assert len(references) >= 11
    for reference in references:
        assert reference.read_bytes() == local[reference.path], reference.path
    assert isinstance(row["array"], ImageValue)
    assert (np.asarray(row["array"].image()) == pixels(0)).all()
    assert isinstance(row["table"], TableValue)
    frame = row["table"].get_dataframe()
    assert list(frame.columns) == ["id", "image", "score"] and frame["id"].tolist() == [0, 1]
    assert row["hist"]["_type"] == "histogram"


def test_local_read_back(tmp_path: Path) -> None:
    run = nbtrack.init(project="media")
    run.log(every_type(tmp_path))
    run.finish()
    view = nbtrack.Api.local().run(run.id)
    _check_read_back(view, media_files(run))
    row = view.history(pandas=False)[0]
    assert row["array"]._repr_png_() == media_files(run)[row["array"].path]  # shown inline
    assert "<table class='nbtrack-table'>" in row["table"]._repr_html_()
    target = row["html"].download(tmp_path / "out")
    target.close()
    assert (tmp_path / "out" / row["html"].path).read_bytes() == b"".join(
        media_files(run)[row["html"].path].splitlines(keepends=True)
    )


def test_online_run_uploads_media_once_and_reads_back_byte_equal(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_BASE_URL", server.url)
    monkeypatch.setenv("NBTRACK_API_KEY", server.admin_key)
    run = nbtrack.init(project="media", mode="online")
    run.log(every_type(tmp_path))
    run.log({"again": nbtrack.Image(pixels(0), boxes=None)})
    run.finish()
    assert run.upload_status()["state"] == "synced", run.upload_status()
    view = nbtrack.Api(server.url, server.admin_key).run(f"admin/media/{run.id}")
    _check_read_back(view, media_files(run))
    names = [f.name for f in view.files() if f.name.startswith("media/")]
    assert sorted(names) == sorted(media_files(run))


def test_offline_run_synced_later_reads_back_byte_equal(server: LiveServer, tmp_path: Path) -> None:
    run = nbtrack.init(project="media", mode="offline")
    run.log(every_type(tmp_path))
    run.finish()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBTRACK_BASE_URL", server.url)
        env.setenv("NBTRACK_API_KEY", server.admin_key)
        assert nbtrack.sync().ok
        assert nbtrack.sync(include_synced=True).ok  # twice: still one copy of each
    view = nbtrack.Api(server.url, server.admin_key).run(f"admin/media/{run.id}")
    _check_read_back(view, media_files(run))
    assert len(list(view.scan_history())) == 1
