"""The local storage backend: streamed uploads appear only when committed, keys stay inside."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nbtrack.server.storage import LocalStorage, open_storage


def test_upload_is_invisible_until_commit(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    up = store.upload("a/b/c.bin")
    up.write(b"hello ")
    assert not store.exists("a/b/c.bin")
    up.write(b"world")
    assert up.commit() == 11
    assert store.size("a/b/c.bin") == 11
    assert b"".join(store.read("a/b/c.bin")) == b"hello world"


def test_aborted_upload_leaves_nothing(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    with store.upload("x.bin") as up:
        up.write(b"partial")
    assert not store.exists("x.bin")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_put_delete_and_prefix(tmp_path: Path) -> None:
    store = open_storage(None, tmp_path)
    assert store.put("p/one", io.BytesIO(b"1")) == 1
    store.put("p/two", io.BytesIO(b"22"))
    store.delete("p/one")
    assert store.size("p/one") is None
    store.delete_prefix("p")
    assert not store.exists("p/two")


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "a/./b", "a\\b", ""])
def test_bad_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="Storage key"):
        LocalStorage(tmp_path).upload(key)
