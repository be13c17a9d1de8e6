"""What a notebook run records about its code: the notebook's path and git state, the cells.

The notebook lookup and git run in a background thread so ``init()`` does not wait on them.
The executed cells go to ``files/code/cells.py`` (percent format, execution order) and the notebook
file itself to ``files/code/<name>.ipynb``, unless the run has ``save_code=False``.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from nbtrack import console, gitstate
from nbtrack.errors import RunFinished
from nbtrack.jupyter import notebook

if TYPE_CHECKING:
    from nbtrack._run import Run

CELLS_FILE = "code/cells.py"
HEADER = "# nbtrack: the cells executed in this kernel, in execution order\n"
_warned = threading.Event()


class Provenance:
    """Records one run's notebook identity, git state and executed code."""

    def __init__(self, run: Run, shell: Any, history: list[str]) -> None:
        self.run = run
        self.shell = shell
        self.cells: list[str] = []
        self._code = HEADER
        for code in history:
            self._append(code)
        self.identity: notebook.NotebookIdentity | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, announced: dict[str, str] | None) -> None:
        """Look the notebook up and capture git in the background; write the code now."""
        self.write_code()
        self._thread = threading.Thread(
            target=self._capture, args=(announced,), name=f"nbtrack-nb-{self.run.id}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float = gitstate.GIT_TIMEOUT + 5) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def add_cell(self, code: str) -> None:
        """A cell is about to run while the run is live: append it to the code file.

        Waits for the notebook capture first, so a later ``run.finish()`` cannot cut it short.
        """
        self.join()
        if self.run.finished:
            return
        self._append(code)
        self.write_code()

    def _append(self, code: str) -> None:
        self.cells.append(code)
        self._code += f"\n# %% [{len(self.cells)}]\n{code.rstrip()}\n"

    def write_code(self) -> None:
        if not self.run.settings.save_code or self.run.finished:
            return
        with contextlib.suppress(RunFinished):
            self.run.save_file(CELLS_FILE, self._code)

    def _capture(self, announced: dict[str, str] | None) -> None:
        try:
            self.record(notebook.locate(self.shell, announced, self.run.settings.notebook_name))
        except RunFinished:
            pass
        except Exception as exc:
            console.say(f"could not record the notebook of run {self.run.id}: {exc!r}")

    def record(self, identity: notebook.NotebookIdentity | None) -> None:
        """Add the notebook's identity and git state to the run (also on a later announcement)."""
        with self._lock:
            if identity is None:
                if not _warned.is_set():
                    _warned.set()
                    console.say(notebook.HOW_TO_SET, self.run.settings.silent)
                return
            if self.identity == identity or self.run.finished:
                return
            self.identity = identity
            self._record_identity(identity)

    def _record_identity(self, identity: notebook.NotebookIdentity) -> None:
        run = self.run
        fields: dict[str, Any] = {"path": str(identity.path), "name": identity.path.name}
        fields["source"] = identity.source
        if run.settings.disable_git:
            run.record_metadata(notebook=fields)
        else:
            core_git = getattr(run, "_git_thread", None)
            if isinstance(core_git, threading.Thread):
                core_git.join(gitstate.GIT_TIMEOUT + 5)  # our git state replaces the cwd's
            state, diff = gitstate.capture(
                identity.path.parent, str(identity.path), run.settings.root
            )
            fields.update(notebook_git(state, diff))
            if diff:
                run.save_file("diff.patch", diff)
            run.record_metadata(notebook=fields, git=state)
        if run.settings.save_code:
            run.save_file(f"code/{identity.path.name}", identity.path.read_bytes())


def notebook_git(state: dict[str, Any], diff: str) -> dict[str, Any]:
    """The notebook's path in its repository and whether the file differs from HEAD."""
    relative = state.get("program")
    if not state.get("repository") or not isinstance(relative, str):
        return {"repo_path": None, "modified": None}
    untracked = relative in (state.get("untracked") or ())
    changed = f"diff --git a/{relative} " in diff
    return {"repo_path": relative, "repo_root": state.get("root"), "modified": untracked or changed}


def history(shell: Any) -> list[str]:
    """The cells this kernel has executed so far (the running one included)."""
    manager = getattr(shell, "history_manager", None)
    raw = getattr(manager, "input_hist_raw", None) or []
    return [str(code) for code in raw[1:]]
