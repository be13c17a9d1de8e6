"""``scripts/``: what a new user runs first. The scripts run for real in a scratch copy of the
repository, whose ``.venv`` only records what it is asked to do (a real install takes a minute
of network and CPU and would replace the environment the tests run in)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOCKED = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The scripts and pyproject.toml, a ``.venv`` that logs its calls, a locked ``apt-get``."""
    root = tmp_path / "nbtrack"
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copy(REPO / "pyproject.toml", root)
    calls = tmp_path / "calls.log"
    built = root / "nbtrack/labextension/package.json"  # as a build left it
    built.parent.mkdir(parents=True)
    built.write_text("{}")
    executable(root / ".venv/bin/python", f'echo "python $*" >> {calls}\n')
    executable(root / ".venv/bin/jupyter", 'echo "nbtrack v0.1.0 enabled OK (python, nbtrack)"\n')
    locked = f'if [ "$1" = install ]; then echo "{LOCKED}" >&2; exit 100; fi\n'
    executable(tmp_path / "bin/apt-get", f'echo "apt-get $*" >> {calls}\n' + locked)
    return root


def run(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{root.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "NBTRACK_TEST_CHROMIUM": str(root / "no-chromium-here"),
    }
    return subprocess.run(
        [str(root / "scripts" / script), *args], capture_output=True, text=True, env=env, timeout=60
    )


def calls(root: Path) -> list[str]:
    log = root.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_setup_says_each_phase_once_and_then_nothing(scratch: Path) -> None:
    first = run(scratch, "setup")
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert all(line.startswith("setup: ") for line in lines), lines
    for phase in (
        "Node.js 18+ and npm",
        "upgrading pip",
        "installing nbtrack",
        "extension is enabled",
        "done",
    ):
        assert sum(phase in line for line in lines) == 1, (phase, lines)
    assert "python -m pip install -q -e .[server,s3,jupyter,test]" in calls(scratch)
    again = run(scratch, "setup")
    assert again.returncode == 0 and again.stdout == ""


def test_a_failed_install_says_what_it_was_for_and_how_to_do_it_by_hand(scratch: Path) -> None:
    executable(scratch / ".venv/bin/python", "echo 'ERROR: no network' >&2\nexit 1\n")
    done = run(scratch, "setup")
    assert done.returncode == 1
    assert "could not upgrade pip in .venv" in done.stderr
    assert "by hand: .venv/bin/python -m pip install --upgrade pip" in done.stderr


def test_the_demo_installs_only_the_server_extra(scratch: Path) -> None:
    executable(scratch / ".venv/bin/nbtrack", "exit 0\n")
    done = run(scratch, "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "python -m pip install -q -e .[server]" in calls(scratch)
    assert "checking that the JupyterLab extension" not in done.stdout  # no JupyterLab here
    full = run(scratch, "setup")
    assert "installing nbtrack" in full.stdout  # the tests' extras come on top
    assert "python -m pip install -q -e .[server,s3,jupyter,test]" in calls(scratch)
    assert run(scratch, "demo").stdout == ""  # and then serve the demo too


@pytest.mark.parametrize("script", ["setup", "demo", "check"])
def test_only_the_test_script_installs_a_browser(scratch: Path, script: str) -> None:
    run(scratch, script)
    assert not [call for call in calls(scratch) if call.startswith("apt-get")]
    for name in ("setup", "demo", "check"):
        text = (REPO / "scripts" / name).read_text()
        assert "chromium" not in text  # neither the package nor /usr/bin/chromium


def test_test_script_explains_a_locked_apt_and_goes_on(scratch: Path) -> None:
    done = run(scratch, "test", "-x", "tests/test_x.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "apt-get install -y -qq chromium" in "\n".join(calls(scratch))
    assert "installing Debian's chromium with apt-get (for the browser tests only)" in done.stdout
    assert LOCKED in done.stderr  # apt's own reason, then ours
    assert "could not install chromium" in done.stderr
    assert "By hand: apt-get install chromium" in done.stderr
    assert calls(scratch)[-1] == "python -m pytest -x tests/test_x.py"  # the suite still runs
