"""Real browsers and a real JupyterLab for the end-to-end tests.

Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, never a downloaded browser; a
JupyterLab server started the way a user starts it, on a free loopback port with a token.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.liveserver import free_port, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
# in the page: the current notebook's kernel is connected and idle (needs expose_app_in_browser)
KERNEL_READY = """() => {
  const w = window.jupyterapp?.shell.currentWidget;
  const k = w?.sessionContext?.session?.kernel;
  return !!k && w.sessionContext.isReady && k.connectionStatus === 'connected'
    && k.status === 'idle';
}"""
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# runs before any page script (CDP, not subject to the page's CSP): records every violation
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; under CI=true, fail instead."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Debian chromium is missing (/usr/bin/chromium): apt-get install chromium")
    pytest.skip("Debian chromium is not installed")


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium; close it with its test module (a sync Playwright left open breaks
    the next module's)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def csp_checked_page(width: int, height: int) -> Iterator[Any]:
    """A Chromium page that fails its test on any Content-Security-Policy violation."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.add_init_script(RECORD_VIOLATIONS)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        yield page
        assert not [m for m in console if "Content Security Policy" in m], console
        assert page.evaluate("window.__cspViolations") == []


@contextmanager
def new_tab(browser: Any, width: int, height: int) -> Iterator[Any]:
    """A page in a browser context of its own, closed afterwards; waits up to 30 s by default."""
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


class JupyterLab:
    """A JupyterLab server in ``base``: notebooks under ``root``, its own settings and dirs."""

    def __init__(self, base: Path, env: dict[str, str], root: Path | None = None) -> None:
        self.base = base
        self.root = root or base / "notebooks"
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def tree(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}&reset"

    def start(self) -> JupyterLab:
        require_chromium()
        self.root.mkdir(parents=True, exist_ok=True)
        settings = self.base / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        with open(self.base / "jupyterlab.log", "wb") as log:
            self.process = subprocess.Popen(
                self._command(),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self.healthy, 90, "JupyterLab")
        return self

    def _command(self) -> list[str]:
        base = self.base
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"]
        command += [f"--port={self.port}", "--port-retries=0"]
        command += [f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}"]
        command += [f"--LabApp.workspaces_dir={base / 'ws'}", "--allow-root"]
        command += [f"--LabApp.user_settings_dir={base / 'settings'}"]
        command += ["--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly"]
        return command

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.base / "jupyterlab.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"JupyterLab exited with {self.process.returncode}:\n{log}")
        try:
            return requests.get(f"{self.url}/api/status?token={self.token}", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def jupyter_env(base: Path, **nbtrack: str) -> dict[str, str]:
    """The JupyterLab server's (and its kernels') environment: isolated Jupyter and IPython
    folders, the caller's ``NBTRACK_*`` settings and nothing else of nbtrack's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBTRACK_", "JPY_"))}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(base / name.lower())
    env["NBTRACK_CONFIG_DIR"] = str(base / "nbtrack-config")
    env.update({f"NBTRACK_{key.upper()}": value for key, value in nbtrack.items()})
    return env
