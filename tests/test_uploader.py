"""The uploader against real servers: backoff and Retry-After, an unreachable server at finish(),
records the server cannot take, and files that are not the run's own."""

from __future__ import annotations

import email.utils
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import nbtrack
from nbtrack import runlog
from nbtrack.upload.backoff import Backoff, retry_after
from tests.liveserver import FaultProxy, LiveServer, free_port, wait_for


def test_backoff_is_capped_with_jitter_and_never_overflows() -> None:
    backoff = Backoff(base=0.5, cap=30.0)
    delays = [backoff.failed() for _ in range(5000)]  # 2.0 ** 5000 would overflow
    assert all(0 < d <= 30.0 for d in delays)
    assert len({round(d, 6) for d in delays[-100:]}) > 1  # jittered, not in lockstep
    assert backoff.failed(retry_after=45.0) >= 45.0
    assert backoff.failed(retry_after=10**9) <= 600.0  # an absurd Retry-After is bounded
    backoff.succeeded()
    assert backoff.ready() and backoff.failed() <= 0.5
    backoff.hurry()
    assert backoff.ready()  # e.g. at finish(): try at once...
    backoff.failed(retry_after=5.0)
    backoff.hurry()
    assert 4.0 < backoff.pause() <= 5.0  # ...unless the server asked to wait


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("7") == 7.0
    later = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (retry_after(later) or 0) <= 61
    assert retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0.0
    assert retry_after(None) is None and retry_after("soon") is None


class Overloaded(BaseHTTPRequestHandler):
    """A server that creates runs but answers every other request 503 with Retry-After."""

    retry_after = "1"
    history_posts: ClassVar[list[float]] = []

    def do_PUT(self) -> None:
        self._drain()
        self._answer(200, {"url": "http://example.invalid/run"})

    def do_POST(self) -> None:
        self._drain()
        if self.path.endswith("/history"):
            self.history_posts.append(time.monotonic())
        wait = self.retry_after
        if wait == "date":
            wait = email.utils.formatdate(time.time() + 2, usegmt=True)
        self._answer(503, {"error": {"code": "unavailable", "message": "busy"}}, wait)

    def _drain(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, body: object, wait: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if wait is not None:
            self.send_header("Retry-After", wait)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def overloaded() -> Iterator[tuple[str, type[Overloaded]]]:
    handler = type("Handler", (Overloaded,), {"history_posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("wait", ["1", "date"])
def test_finish_waits_as_retry_after_asks_and_says_what_is_left(
    overloaded: tuple[str, type[Overloaded]],
    wait: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, handler = overloaded
    handler.retry_after = wait
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    settings = {"base_url": url, "api_key": "nbt_k", "entity": "me", "finish_timeout": 4.0}
    started = time.monotonic()
    run = nbtrack.init(project="busy", mode="online", settings=settings)
    for i in range(100):
        run.log({"i": i})
    wait_for(lambda: handler.history_posts, 10, "the background upload's first try")
    run.finish()
    elapsed = time.monotonic() - started
    posts = handler.history_posts
    assert 2 <= len(posts) <= elapsed + 2, posts  # about one a second, as Retry-After asks
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(posts)), posts
    assert elapsed < 4.0 + 5
    assert "not uploaded yet" in capsys.readouterr().err


def test_unreachable_server_at_finish_returns_at_once(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = {"base_url": nowhere, "api_key": "nbt_k", "entity": "me", "finish_timeout": 20.0}
    run = nbtrack.init(project="down", mode="online", settings=settings)
    for i in range(1000):
        run.log({"i": i})
    capsys.readouterr()
    started = time.monotonic()
    run.finish()
    assert time.monotonic() - started < 10.0  # well under finish_timeout
    said = capsys.readouterr().err
    assert said.count("Cannot reach the nbtrack server") == 1, said
    assert "not uploaded yet" in said and "nbtrack sync" in said
    report = nbtrack.sync([run.dir], base_url=target.url, api_key=target.admin_key, entity="admin")
    assert report.ok and report.synced == 1
    rows = nbtrack.Api(target.url, target.admin_key).run(f"admin/down/{run.id}").scan_history()
    assert [r["i"] for r in rows] == list(range(1000))


def test_finish_leaves_a_run_another_uploader_holds_to_it(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nbtrack.upload import background, uploader

    held: list[uploader.UploadLock] = []
    start = background.BackgroundUpload.start

    def other_first(self: background.BackgroundUpload) -> None:
        held.append(uploader.UploadLock(self.uploader.path))  # as `nbtrack sync` would
        start(self)

    monkeypatch.setattr(background.BackgroundUpload, "start", other_first)
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    run = nbtrack.init(project="held", mode="online")
    for i in range(100):
        run.log({"i": i})
    run.finish()
    assert "another process is uploading it" in capsys.readouterr().err
    api = nbtrack.Api(target.url, target.admin_key)
    assert list(api.run(f"admin/held/{run.id}").scan_history()) == []
    held[0].release()
    assert nbtrack.sync([run.dir]).synced == 1
    rows = nbtrack.Api(target.url, target.admin_key).run(f"admin/held/{run.id}").scan_history()
    assert [r["i"] for r in rows] == list(range(100))


def test_a_stalled_server_costs_finish_at_most_its_timeout(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultProxy(target.port) as proxy:
        proxy.set("stall")  # connections are accepted, never answered
        settings = {"base_url": proxy.url, "init_timeout": 0.5, "finish_timeout": 3.0}
        run = nbtrack.init(project="stalled", mode="online", settings=settings)
        for i in range(100):
            run.log({"i": i})
        wait_for(lambda: proxy.connections >= 2, 10, "the background upload to be waiting")
        started = time.monotonic()
        run.finish()  # the upload thread waits for an answer (up to 30 s) meanwhile
        assert time.monotonic() - started < 3.0 + 2
        assert run.upload_status()["uploaded"] == 0


def test_a_step_the_server_refuses_does_not_break_finish(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log written before log() checked steps: the record is skipped, the rest arrives."""
    monkeypatch.setenv("NBTRACK_SILENT", "false")
    run = nbtrack.init(project="bigstep", mode="online", settings={"finish_timeout": 10.0})
    run.log({"i": 0})
    run._writer.append(b'["h",{"_step":9223372036854775808,"i":-1}]\n')
    run.log({"i": 1})
    started = time.monotonic()
    run.finish()
    assert time.monotonic() - started < 5.0
    said = capsys.readouterr().err
    assert "skipped" in said and "record" in said, said
    rows = nbtrack.Api(target.url, target.admin_key).run(f"admin/bigstep/{run.id}").scan_history()
    assert [r["i"] for r in rows] == [0, 1]


def _offline_run(rows: int = 20) -> Path:
    run = nbtrack.init(project="damaged", settings={"disable_git": True, "save_code": False})
    for i in range(rows):
        run.log({"i": i})
    run.finish()
    return Path(run.dir)


def _replace_lines(path: Path, lines: dict[int, bytes]) -> list[int]:
    """Overwrite history rows (by step) with the given bytes; returns their log offsets."""
    log = path / runlog.LOG_NAME
    old = log.read_bytes().splitlines(keepends=True)
    offsets = [n for n, line in enumerate(old) for step in lines if _is_step(line, step)]
    for n, step in zip(offsets, lines, strict=True):
        old[n] = lines[step]
    log.write_bytes(b"".join(old))
    return offsets


def _is_step(line: bytes, step: int) -> bool:
    return line.startswith(b'["h",{"_step":%d,' % step)


def test_bad_lines_are_skipped_reported_and_the_rest_sent(target: LiveServer) -> None:
    path = _offline_run()
    bad = _replace_lines(
        path,
        {
            5: b'["h",{"_step":5,"x":}]\n',  # torn JSON
            7: b'["h",{"_step":7,"x":"\xff\xfe"}]\n',  # not UTF-8
            9: b'["h",{"_step":9,"x":' + b"9" * 400 + b"}]\n",  # refused by the server
            11: b'["h",{"_step":"eleven","x":1}]\n',  # a step that is not a number
        },
    )
    report = nbtrack.sync([path], base_url=target.url, api_key=target.admin_key)
    assert report.ok and report.synced == 1, report
    (result,) = report.results
    assert sorted(s.offset for s in result.left_out if s.offset is not None) == bad
    lines = (path / runlog.LOG_NAME).read_bytes().splitlines(keepends=True)
    starts = {n: sum(map(len, lines[:n])) for n in bad}
    assert {s.offset: s.byte for s in result.left_out} == starts
    run_id = path.name.rsplit("-", 1)[1]
    rows = nbtrack.Api(target.url, target.admin_key).run(f"admin/damaged/{run_id}").scan_history()
    assert [r["i"] for r in rows] == [i for i in range(20) if i not in (5, 7, 9, 11)]
    progress = json.loads((path / "upload.json").read_text())
    assert progress["byte"] == (path / runlog.LOG_NAME).stat().st_size  # moved past them
    again = nbtrack.sync([path], base_url=target.url, api_key=target.admin_key)
    assert again.results == []  # resumable: nothing left, nothing resent


def test_sync_command_reports_skipped_lines(target: LiveServer) -> None:
    path = _offline_run()
    (bad,) = _replace_lines(path, {3: b'["h",{"_step":3,"x":}]\n'})
    env = {**os.environ, "NBTRACK_BASE_URL": target.url, "NBTRACK_API_KEY": target.admin_key}
    done = subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "sync", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert "skipped 1" in out and f"record {bad} at byte" in out, out


def _stored_files(target: LiveServer, run_id: str) -> str:
    return json.dumps(target.api("GET", f"/runs/admin/files/{run_id}/files"))


def test_symlinks_out_of_the_files_folder_are_not_followed(
    target: LiveServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET")
    (tmp_path / "inner.txt").write_bytes(b"TOP-SECRET too")
    run = nbtrack.init(project="files", settings={"disable_git": True, "save_code": False})
    for name in ("plain.txt", "linked.txt", "sub/inner.txt"):
        run.save_file(name, "the run's own")
    run.finish()
    files = Path(run.dir) / "files"
    (files / "linked.txt").unlink()
    (files / "linked.txt").symlink_to(secret)  # a file that is a link out of the run
    (files / "sub" / "inner.txt").unlink()
    (files / "sub").rmdir()
    (files / "sub").symlink_to(tmp_path)  # a folder that is a link out of the run
    report = nbtrack.sync([run.dir], base_url=target.url, api_key=target.admin_key)
    stored = _stored_files(target, run.id)
    assert "plain.txt" in stored and "linked.txt" not in stored and "inner.txt" not in stored
    assert report.ok, report
    refused = " ".join(str(s) for s in report.results[0].left_out)
    assert "'linked.txt'" in refused and "'sub/inner.txt'" in refused, refused


def test_file_records_naming_paths_outside_the_run_are_refused(
    target: LiveServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET")
    run = nbtrack.init(project="files", settings={"disable_git": True, "save_code": False})
    run.save_file("plain.txt", "kept")
    names = ["../../../secret.txt", str(secret), "../run.json"]
    for name in names:
        run._record("file", {"name": name, "size": 10})
    run.finish()
    report = nbtrack.sync([run.dir], base_url=target.url, api_key=target.admin_key)
    assert report.ok, report
    refused = " ".join(str(s) for s in report.results[0].left_out)
    assert all(repr(name) in refused for name in names), refused
    stored = _stored_files(target, run.id)
    assert "plain.txt" in stored and "secret" not in stored and "run.json" not in stored


def test_damaged_run_fields_are_skipped_and_the_rest_sent(target: LiveServer) -> None:
    run = nbtrack.init(project="fields", config={"lr": 0.1}, settings={"disable_git": True})
    run.log({"i": 0})
    run.summary["best"] = 1
    run.finish()
    log = Path(run.dir) / runlog.LOG_NAME
    with open(log, "ab") as stream:
        stream.write(b'["config",{"bad":"\\ud800","ok":2}]\n')  # a lone surrogate
        stream.write(b'["summary",{"huge":' + b"9" * 400 + b"}]\n")  # beyond 64 bits
        stream.write(b'["config",[1,2]]\n')  # not a dict
        stream.write(b'["run",{"created_at":1e17}]\n')  # refused by the server
        stream.write(b'["config",{"batch":32}]\n')  # sound: sent
    report = nbtrack.sync([run.dir], base_url=target.url, api_key=target.admin_key)
    assert report.ok, report
    left_out = report.results[0].left_out
    kinds = [s.reason for s in left_out if s.offset is not None]
    assert kinds == [f"not a valid {k!r} record" for k in ("config", "summary", "config")]
    assert "run field 'created_at' not sent" in str(left_out[-1]), left_out
    remote = nbtrack.Api(target.url, target.admin_key).run(f"admin/fields/{run.id}")
    assert remote.config == {"lr": 0.1, "batch": 32}  # the damaged line is left out whole
    assert remote.summary["best"] == 1 and "huge" not in remote.summary
    assert [r["i"] for r in remote.scan_history()] == [0]
    assert nbtrack.sync([run.dir], base_url=target.url, api_key=target.admin_key).results == []


TRICKY_LINES = [
    b'["nbtrack",{"format":1,"run_id":"abcdefgh","created_at":1.0}]\n',
    b'["h",{"_step":0,"loss":0.5}]\n',
    b'["h",{"_step":1,"loss":0.25,"s":"\\u00e9"}]\n',
    b'["h",{"_step":007,"loss":1}]\n',  # leading zeros: sent with the step as a number
    b'["h",{"_step":9223372036854775808,"x":1}]\n',  # beyond the server's steps: decoded, refused
    b'["h",{"_step":9223372036854775807,"x":1}]\n',
    b'["h",{"_step":5}]\n',  # no other key
    b'["h",{"_step":1.5,"x":1}]\n',
    b'["h",{"_step":6,"x":}]\n',  # torn: sent as written, the server refuses it
    b'["h",{"_step":7,"x":2} ]\n',
    b'["meta",{"program":"x.py"}]\n',
    b'["h",{"_step":8,"x":3}]\n',
    b'["summary",{"best":1}]\n',  # ends the chunk
    b'["h",{"_step":9,"x":4}]\n',
]


@pytest.mark.parametrize("batch", [100, 1, 2, 5])
def test_history_lines_read_together_match_them_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    from nbtrack.upload import uploader

    monkeypatch.setattr(uploader, "BATCH_RECORDS", batch)
    path = tmp_path / "offline-run-20260101_000000-abcdefgh"
    path.mkdir()
    (path / runlog.LOG_NAME).write_bytes(b"".join(TRICKY_LINES))
    chunk = uploader.Uploader(path, None, "e", "p")._read_chunk()  # type: ignore[arg-type]
    expected = uploader.Chunk(0, 0)
    for offset, line in enumerate(TRICKY_LINES[:batch]):
        more = uploader._add_record(expected, offset, line)
        expected.end_offset, expected.end_byte = offset + 1, expected.end_byte + len(line)
        if not more:
            break
    assert chunk == expected
    assert len(chunk.history) > 1 or batch < 3
