"""A run's media files: written once each, and finish() helps the writer thread with the rest."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import nbtrack
from nbtrack.media.base import FileJob
from nbtrack.media.store import MediaStore
from tests.media.mediarun import history, media_files, pixels, records


def test_waiting_files_are_written_once_by_either_thread(tmp_path: Path) -> None:
    encoded: list[str] = []
    recorded: list[dict[str, Any]] = []

    def job(number: int) -> FileJob:
        def encode() -> bytes:
            time.sleep(0.005)  # an encoder that lets the other thread run, as PIL's does
            encoded.append(threading.current_thread().name)
            return b"%d" % number

        return FileJob(f"media/{number}.bin", encode=encode)

    store = MediaStore(tmp_path / "files", lambda kind, payload: recorded.append(payload), "t")
    store.put([job(n) for n in range(60)])
    store.put([job(n) for n in range(60)])  # logged again: nothing more to write
    store.wait()
    assert len(encoded) == 60 and len(recorded) == 60
    assert sorted(r["name"] for r in recorded) == sorted(f"media/{n}.bin" for n in range(60))
    threads = Counter(encoded)
    assert threads[threading.current_thread().name] > 0 and len(threads) == 2, threads
    assert all((tmp_path / "files" / f"media/{n}.bin").read_bytes() == b"%d" % n for n in range(60))


def test_a_run_that_logged_many_images_records_each_file_once() -> None:
    run = nbtrack.init(project="media")
    for step in range(40):
        run.log({"image": nbtrack.Image(pixels(seed=step))}, step=step)
    run.finish()
    names = [p["name"] for k, p in records(run) if k == "file" and p["name"].startswith("media/")]
    assert len(names) == 40 == len(set(names)) == len(media_files(run))
    assert {row["image"]["path"] for row in history(run)} == set(names)
    assert [kind for kind, _ in records(run)][-1] == "exit"  # every file recorded before it


def test_an_image_is_named_by_the_hash_of_its_pixels() -> None:
    array = pixels(seed=5)
    run = nbtrack.init(project="media")
    run.log({"image": nbtrack.Image(array)})
    run.log({"image": nbtrack.Image(array.copy())})  # the same pixels: the same file
    run.finish()
    source = f"image {array.shape} RGB png".encode() + b"\0" + array.tobytes()
    digest = hashlib.sha256(source).hexdigest()
    assert [row["image"]["sha256"] for row in history(run)] == [digest, digest]
    assert list(media_files(run)) == [f"media/{digest}.png"]
