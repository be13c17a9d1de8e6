"""A store that refuses writes while a run uploads its artifact: the server keeps nothing, the
client keeps everything (the record stays unacknowledged), and ``nbtrack sync`` finishes the job
once the store is back. The uploaded file is byte-equal."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import nbtrack as wandb
from tests.liveserver import LiveServer


def test_refused_writes_lose_nothing_and_sync_completes(online: LiveServer, tmp_path: Path) -> None:
    project = "store-" + secrets.token_hex(4)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(secrets.token_bytes(6 << 20))  # large: one streamed PUT
    store = online.data_dir / "artifacts"
    aside = online.data_dir / "artifacts-aside"
    if store.exists():
        store.rename(aside)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text("the store is gone")
    try:
        run = wandb.init(project=project, settings=wandb.Settings(finish_timeout=2))
        art = run.log_model(str(weights), name="clf")
        run.finish()
        assert run.upload_status()["uploaded"] < run.upload_status()["total"]
    finally:
        store.unlink()
        if aside.exists():
            aside.rename(store)
    report = wandb.sync(base_url=online.url, api_key=online.admin_key)
    assert report.ok, report.failures
    got = wandb.Api().artifact(f"{project}/clf:latest")
    assert got.version == "v0" and got.digest == art.digest
    target = Path(got.download(tmp_path / "got"))
    assert (target / "weights.bin").read_bytes() == weights.read_bytes()
    shutil.rmtree(target)
