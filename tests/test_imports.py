"""``import nbtrack`` stays light, and a run's start loads nothing that competes with ``log()``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import git, make_repo

HEAVY = ("pandas", "numpy", "torch", "jax", "tensorflow", "git", "requests", "pydantic", "yaml")
DEFERRED = ("subprocess", "shutil", "secrets", "hashlib", "random", "socket", "configparser")
ASKED_FOR = ("nbtrack.runparts.fork", "nbtrack.runparts.alerts")  # resume_from/fork_from, alert()


def loaded_by(code: str, cwd: Path) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints a JSON answer on its last line."""
    env = {**os.environ, "NBTRACK_MODE": "offline", "NBTRACK_SILENT": "true"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_import_nbtrack_loads_no_heavy_or_deferred_module(tmp_path: Path) -> None:
    names = list(HEAVY + DEFERRED)
    code = (
        "import json, sys\n"
        "import nbtrack\n"
        f"print(json.dumps({{'loaded': [m for m in {names!r} if m in sys.modules]}}))\n"
    )
    assert loaded_by(code, tmp_path) == {"loaded": []}


def test_git_state_is_captured_without_gitpython(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text("print('changed')\n")
    code = (
        "import json, sys\n"
        "import nbtrack\n"
        "run = nbtrack.init(project='p')\n"
        "run.log({'a': 1.0})\n"
        "run.finish()\n"
        "state = nbtrack.Api.local().run(run.id).metadata['git']\n"
        "print(json.dumps({'gitpython': 'git' in sys.modules, 'commit': state['commit'],\n"
        "                  'dirty': state['dirty'], 'branch': state['branch']}))\n"
    )
    answer = loaded_by(code, repo)
    commit = git(repo, "rev-parse", "HEAD")
    assert answer == {"gitpython": False, "commit": commit, "dirty": True, "branch": "main"}


def test_a_plain_run_loads_neither_fork_nor_alerts_until_asked(tmp_path: Path) -> None:
    names = list(ASKED_FOR)
    code = (
        "import json, sys\n"
        "import nbtrack\n"
        "from nbtrack.jupyter import card\n"
        "run = nbtrack.init(project='p', settings={'disable_git': True})\n"
        "card.snapshot(run, card.RecentMetrics())\n"
        f"plain = [m for m in {names!r} if m in sys.modules]\n"
        "run.alert('title', 'text')\n"
        "shown = card.snapshot(run, card.RecentMetrics()).alerts\n"
        "run.finish()\n"
        "print(json.dumps({'plain': plain, 'shown': [list(a) for a in shown]}))\n"
    )
    answer = loaded_by(code, tmp_path)
    assert answer == {"plain": [], "shown": [["INFO", "title", "text"]]}
