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

from tests.browser import JupyterLab, chromium, jupyter_env, new_tab
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


# -- JupyterLab + headless Chromium ----------------------------------------------------------------


class Lab:
    """A running JupyterLab: its URL and token, the notebook root, where runs go, the server."""

    def __init__(self, jupyterlab: JupyterLab, runs: Path, server: LiveServer) -> None:
        self.jupyterlab, self.runs, self.server = jupyterlab, runs, server
        self.url, self.token, self.root = jupyterlab.url, jupyterlab.token, jupyterlab.root

    def tree(self, path: str) -> str:
        return self.jupyterlab.tree(path)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, nbtrack_server: LiveServer) -> Iterator[Lab]:
    """One JupyterLab server for the session, on a free port, with the built extension; its
    kernels log online to ``nbtrack_server``, all runs in one folder."""
    base = tmp_path_factory.mktemp("lab")
    env = jupyter_env(
        base,
        dir=str(base / "runs"),
        mode="online",
        base_url=nbtrack_server.url,
        api_key=nbtrack_server.admin_key,
        silent="true",
    )
    jupyterlab = JupyterLab(base, env).start()
    try:
        yield Lab(jupyterlab, base / "runs", nbtrack_server)
    finally:
        jupyterlab.stop()


@pytest.fixture(scope="module")  # closed with its module: another module may start Playwright
def chromium_browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium_browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; console errors collected in ``page.errors``; a screenshot and the
    HTML are saved to test-artifacts/labextension/ when the test fails."""
    with new_tab(chromium_browser, 1400, 900) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.errors = errors
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = request.node.name
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"))
            (ARTIFACTS / f"FAILED-{name}.html").write_text(page.content())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.report_call = report  # type: ignore[attr-defined]
    return report
