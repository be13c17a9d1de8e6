"""Fixtures for the JupyterLab extension: a real nbtrack server, a real kernel spoken to over the
``nbtrack`` comm as the extension does, and (in ``lab.py``) JupyterLab with headless Chromium."""

from __future__ import annotations

import os
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from tests.liveserver import LiveServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "labextension"


@pytest.fixture(scope="session")
def nbtrack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("nbtrack-server") / "data").start()
    yield live
    live.stop()


class Frontend:
    """A kernel and one ``nbtrack`` comm, used the way the JupyterLab extension uses them."""

    def __init__(self, manager: KernelManager, client: BlockingKernelClient) -> None:
        self.manager = manager
        self.client = client
        self.comm_id = uuid.uuid4().hex
        self.received: list[dict[str, Any]] = []

    def open(self, data: dict[str, Any]) -> None:
        content = {"comm_id": self.comm_id, "target_name": "nbtrack", "data": data}
        self.client.shell_channel.send(self.client.session.msg("comm_open", content))

    def send(self, data: dict[str, Any]) -> None:
        content = {"comm_id": self.comm_id, "data": data}
        self.client.shell_channel.send(self.client.session.msg("comm_msg", content))

    def run(self, code: str) -> None:
        """Execute ``code`` and wait for it to finish; fail on an error."""
        reply = self.client.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]

    def start(self, code: str) -> None:
        """Execute ``code`` without waiting for it."""
        self.client.execute(code)

    def wait(
        self,
        condition: Callable[[dict[str, Any]], bool],
        timeout: float = 30.0,
        earlier: bool = False,
    ) -> dict[str, Any]:
        """The next message on the comm for which ``condition`` holds (others are skipped);
        with ``earlier``, a message received before this call counts too."""
        for data in self.received if earlier else ():
            if condition(data):
                return data
        deadline = time.monotonic() + timeout
        seen: list[Any] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.client.get_iopub_msg(timeout=left)
            except queue.Empty:
                break
            content = msg["content"]
            if msg["msg_type"] == "comm_msg" and content.get("comm_id") == self.comm_id:
                seen.append(content["data"])
                self.received.append(content["data"])
                if condition(content["data"]):
                    return dict(content["data"])
        raise AssertionError(f"no matching comm message in {timeout} s; saw {seen[-5:]}")


@pytest.fixture
def frontend(isolated: Path) -> Iterator[Frontend]:
    """A fresh python3 kernel in the test's folder, with the test's NBTRACK_* environment."""
    manager, client = start_new_kernel(
        kernel_name="python3", cwd=str(isolated), env=dict(os.environ)
    )
    try:
        yield Frontend(manager, client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def state_of(message: dict[str, Any]) -> dict[str, Any] | None:
    return message if message.get("type") == "state" else None
