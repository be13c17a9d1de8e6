"""The extension as users get it: TypeScript unit tests, the prebuilt files inside the wheel,
and JupyterLab listing it as enabled in this environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.labextension.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
LABEXTENSION = ROOT / "labextension"
SHARE = "share/jupyter/labextensions/nbtrack"


def jlpm() -> str:
    found = Path(sys.executable).with_name("jlpm")
    if found.exists():
        return str(found)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("jlpm is missing: pip install jupyterlab (or jupyter_builder)")
    pytest.skip("jlpm is not installed")


def run(*command: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def require_node() -> None:
    if shutil.which("node") is not None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("node is missing: install Node.js 18 or newer to test the extension")
    pytest.skip("node is not installed")


def test_typescript_unit_tests_pass() -> None:
    require_node()
    if not (LABEXTENSION / "node_modules").is_dir():
        run(jlpm(), "install", cwd=LABEXTENSION)
    out = run(jlpm(), "test", cwd=LABEXTENSION)
    assert "# fail 0" in out and "# pass 0" not in out, out[-2000:]
    run(jlpm(), "typecheck", cwd=LABEXTENSION)


def test_wheel_ships_the_prebuilt_extension(tmp_path: Path) -> None:
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), ".", cwd=ROOT)
    (wheel,) = tmp_path.glob("nbtrack-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = [n.split("/data/", 1)[1] for n in names if "/data/share/" in n]
    assert f"{SHARE}/package.json" in data and f"{SHARE}/install.json" in data
    assert f"{SHARE}/static/style.js" in data
    assert any(n.startswith(f"{SHARE}/static/remoteEntry.") for n in data), data
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)


def listed_extensions(listing: str) -> dict[str, str]:
    """``jupyter labextension list`` parsed: extension name -> the rest of its line (colours
    removed). Folder lines are skipped, so a checkout whose path says "nbtrack" is no match."""
    found = {}
    for line in re.sub(r"\x1b\[[0-9;]*m", "", listing).splitlines():
        match = re.fullmatch(r"\s+(\S+) (v\S+ .*)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


@pytest.mark.parametrize("folder", ["", "nbtrack"])
def test_jupyterlab_lists_the_extension_enabled(tmp_path: Path, folder: str) -> None:
    env = dict(os.environ)
    if folder:  # another labextensions folder, listed first, whose path mentions nbtrack
        data = tmp_path / folder
        (data / "labextensions").mkdir(parents=True)
        pygments = Path(sys.prefix, "share/jupyter/labextensions/jupyterlab_pygments")
        (data / "labextensions/jupyterlab_pygments").symlink_to(pygments)
        env["JUPYTER_PATH"] = str(data)
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=60, env=env
    )
    listing = done.stdout + done.stderr
    assert str(tmp_path / folder) in listing or not folder, listing  # the path line is there
    line = listed_extensions(listing).get("nbtrack", "")
    assert line.startswith("v0.1.0 enabled OK"), listing
