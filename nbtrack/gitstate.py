"""The git state of the code that runs: commit, branch, remote, dirty diff, untracked files.

Captured by running the ``git`` binary in a background thread, so ``init()`` never waits on git;
the thread spends its time waiting on git (the GIL released), not importing or parsing in Python,
so ``log()`` calls right after ``init()`` run as fast as later ones (``subprocess`` and ``shutil``
are imported there too, so that ``import nbtrack`` stays light). Every odd state
(no repository, no git binary, no commits yet, a detached HEAD, a slow huge repository) is
recorded as such instead of raising. Results are cached per repository for a couple of seconds,
keyed by HEAD and the index, so a loop of short runs asks git once.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

GIT_TIMEOUT = 10.0
MAX_DIFF_BYTES = 10 << 20
MAX_UNTRACKED = 1000
CACHE_SECONDS = 2.0
_CREDENTIALS = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^@/]*@)")

_cache: dict[str, tuple[float, tuple[Any, ...], dict[str, Any], str]] = {}
_cache_lock = threading.Lock()


def strip_credentials(url: str) -> str:
    """``https://user:token@host/x.git`` -> ``https://host/x.git``; scp-style URLs are kept."""
    return _CREDENTIALS.sub(lambda m: m.group("scheme"), url)


def find_root(start: Path) -> Path | None:
    """The work tree holding ``start``, found without running git."""
    path = start.resolve()
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def capture(
    start: Path, program: str | None = None, ignore: Path | None = None
) -> tuple[dict[str, Any], str]:
    """``(git state, diff text)`` for the repository holding ``start``; never raises.

    Untracked files under ``ignore`` (nbtrack's own run folder) are left out.
    """
    root = find_root(start)
    if root is None:
        return {"repository": False}, ""
    signature = _signature(root)
    key = str(root)
    with _cache_lock:
        hit = _cache.get(key)
    if hit and hit[1] == signature and time.monotonic() - hit[0] < CACHE_SECONDS:
        state, diff = dict(hit[2]), hit[3]
    else:
        state, diff = _capture_uncached(root)
        with _cache_lock:
            _cache[key] = (time.monotonic(), signature, state, diff)
        state = dict(state)
    if program:
        state["program"] = _relative(program, root)
    prefix = _relative(str(ignore), root) if ignore is not None else None
    if prefix and state.get("untracked"):
        kept = [n for n in state["untracked"] if not n.startswith(prefix + "/")]
        state["untracked_count"] -= len(state["untracked"]) - len(kept)
        state["untracked"] = kept
        state["dirty"] = bool(kept) or state.get("diff_bytes", 0) > 0
    return state, diff


def _signature(root: Path) -> tuple[Any, ...]:
    parts: list[Any] = []
    git_dir = root / ".git"
    for name in ("HEAD", "index", "FETCH_HEAD"):
        try:
            parts.append((git_dir / name).stat().st_mtime_ns)
        except OSError:
            parts.append(None)
    return tuple(parts)


def _relative(program: str, root: Path) -> str | None:
    try:
        return Path(program).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


def _capture_uncached(root: Path) -> tuple[dict[str, Any], str]:
    import shutil  # here, not at ``import nbtrack``: see the module docstring

    executable = os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or shutil.which("git")
    if executable is None:
        return {"repository": True, "root": str(root), "error": "no git executable on PATH"}, ""
    try:
        return _describe(Git(executable, root), root)
    except Exception as exc:
        return {"repository": True, "root": str(root), "error": _first_line(exc)}, ""


class Git:
    """Runs one git command at a time in a work tree; a failing command answers None."""

    def __init__(self, executable: str, root: Path) -> None:
        self.executable, self.root = executable, root
        self.env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}

    def run(self, *args: str, strip: bool = True) -> str | None:
        import subprocess

        try:
            done = subprocess.run(
                [self.executable, *args],
                cwd=self.root,
                env=self.env,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        output = done.stdout.decode(errors="replace")
        return output.strip() if strip else output


def _describe(repo: Git, root: Path) -> tuple[dict[str, Any], str]:
    state: dict[str, Any] = {"repository": True, "root": str(root)}
    commit = repo.run("rev-parse", "--verify", "-q", "HEAD")
    has_commit = commit is not None
    state["commit"] = commit
    branch = repo.run("symbolic-ref", "--short", "-q", "HEAD")
    state["branch"] = branch
    state["detached"] = branch is None
    state["remote"] = _remote_url(repo)
    untracked = repo.run("ls-files", "--others", "--exclude-standard", "-z") or ""
    names = [n for n in untracked.split("\0") if n]
    state["untracked"] = names[:MAX_UNTRACKED]
    state["untracked_count"] = len(names)
    diff = _diff(repo, has_commit)
    state["dirty"] = bool(diff) or bool(names)
    state["diff_bytes"] = len(diff.encode())
    state["diff_truncated"] = state["diff_bytes"] > MAX_DIFF_BYTES
    if state["diff_truncated"]:
        diff = diff.encode()[:MAX_DIFF_BYTES].decode(errors="ignore")
    return state, diff


def _diff(repo: Git, has_commit: bool) -> str:
    base = ("diff", "HEAD") if has_commit else ("diff", "--cached")
    return repo.run(*base, "--no-color", "--no-ext-diff", strip=False) or ""


def _remote_url(repo: Git) -> str | None:
    remote = repo.run("config", "--get", "remote.origin.url")
    if remote is None:
        names = (repo.run("remote") or "").split()
        remote = repo.run("config", "--get", f"remote.{names[0]}.url") if names else None
    return strip_credentials(remote) if remote else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
