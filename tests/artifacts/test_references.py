"""References to files that stay where they are: http(s) on a real loopback web server, and
file:// whose content changed since it was logged."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbtrack as wandb


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"remote weights")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_reference_downloads_from_its_origin(web: str, tmp_path: Path) -> None:
    art = wandb.Artifact("remote", "model")
    [entry] = art.add_reference(f"{web}/weights.bin")
    assert entry.path == "weights.bin" and entry.size == len(b"remote weights")
    with pytest.raises(ValueError, match="could not be checked"):
        art.add_reference(f"{web}/missing.bin")
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    assert Path(art.download(tmp_path / "got")).joinpath("weights.bin").read_bytes() == (
        b"remote weights"
    )


def test_changed_file_reference_is_refused_at_download(tmp_path: Path) -> None:
    source = tmp_path / "data.csv"
    source.write_text("v1")
    art = wandb.Artifact("local", "dataset")
    art.add_reference(source.as_uri())
    run = wandb.init(project="p")
    run.log_artifact(art)
    run.finish()
    source.write_text("v2")
    with pytest.raises(ValueError, match="changed since it was logged"):
        art.download(tmp_path / "got")
    assert art.download(tmp_path / "anyway", allow_missing_references=True)
