"""``run.save(glob, base_path, policy)`` and ``run.log_code()``: user files kept with the run.

Matching files are copied into the run's ``files/`` folder (never linked: the copy is what the run
saw) and each copy is announced by a ``file`` record, which the uploader turns into an upload.
Policies, as in wandb: ``now`` copies once, ``end`` copies when the run finishes, ``live`` copies
now and again whenever a file changes (a polling thread per run, stopped at ``finish()``, which
makes a last check). Targets stay inside ``files/``: a name with ``..``, or a target whose folder
resolves outside ``files/`` (a symlinked folder), is refused with the reason.
"""

from __future__ import annotations

import dataclasses
import glob as globbing
import inspect
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from nbtrack import console
from nbtrack.errors import RunFinished

if TYPE_CHECKING:
    from nbtrack._run import Run

POLICIES = ("live", "now", "end")
POLL_SECONDS = 1.0
CODE_FOLDER = "code"
PathFilter = Callable[..., bool]


def save(run: Run, glob_str: Any, base_path: Any = None, policy: str = "live") -> list[str]:
    """Copy the files matching ``glob_str`` into ``files/``; answer their paths there."""
    if run.finished:
        raise RunFinished(run.id, "save files")
    pattern, base = _pattern(glob_str, base_path, policy)
    saver = saver_of(run)
    runs = run.settings.root.resolve()
    saved = []
    for source in sorted(globbing.glob(str(pattern), recursive=True)):
        if not os.path.isfile(source) or Path(source).resolve().is_relative_to(runs):
            continue  # the run folders' own files (e.g. "**/*.pt" from the project root) stay out
        name = _relative_name(Path(os.path.abspath(source)), base)
        saved.append(saver.add(Path(source), name, policy))
    if not saved and globbing.has_magic(str(pattern)):
        console.say(f"save({glob_str!r}) matched no file yet; call save() again for new files.")
    return saved


def _pattern(glob_str: Any, base_path: Any, policy: str) -> tuple[PurePath, PurePath]:
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r} is not a save policy; use 'live', 'now' or 'end'.")
    if isinstance(glob_str, bytes):
        glob_str = glob_str.decode()
    if not isinstance(glob_str, str | os.PathLike) or not str(glob_str):
        raise TypeError(f"save() needs a file path or glob as a string, not {glob_str!r}.")
    pattern = PurePath(os.path.abspath(glob_str))
    if base_path is not None:
        base = PurePath(os.path.abspath(base_path))
    elif PurePath(glob_str).is_absolute():
        base = pattern.parent  # as wandb: an absolute path without base_path keeps no folders
    else:
        base = PurePath(os.path.abspath("."))
    if base not in pattern.parents:
        raise ValueError(
            f"save({str(glob_str)!r}, base_path={base_path!r}): the glob walks outside base_path "
            f"{str(base)!r}; pass a base_path that contains the files."
        )
    return pattern, base


def _relative_name(source: Path, base: PurePath) -> str:
    parts = source.parts[len(base.parts) :]
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{str(source)!r} is not inside {str(base)!r}; pass another base_path.")
    return "/".join(parts)


@dataclasses.dataclass
class Watched:
    source: Path
    name: str
    stamp: tuple[int, int] | None = None


class FileSaver:
    """One per run: copies files into ``files/`` and watches the ``live`` ones."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.folder = Path(run.dir) / "files"
        self.live: dict[str, Watched] = {}
        self.at_end: dict[str, Watched] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        run.before_finish(self.finish)

    def add(self, source: Path, name: str, policy: str) -> str:
        target = self.target(name)
        item = Watched(source, name)
        with self.lock:
            if policy == "end":
                self.at_end[name] = item
            else:
                self.copy(item)
                if policy == "live":
                    self.live[name] = item
                    self._start_watching()
        return str(target)

    def target(self, name: str) -> Path:
        """The file's place under ``files/``; refuses names and folders that lead outside."""
        parts = name.split("/")
        if name.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in name:
            raise ValueError(f"File name {name!r} leaves the run's files folder; use a plain path.")
        target = self.folder / name
        root = self.folder.resolve()
        if not target.parent.resolve().is_relative_to(root) or target.is_symlink():
            raise ValueError(
                f"{str(target)!r} resolves outside the run's files folder (a symlink); "
                "remove the link or save under another name."
            )
        return target

    def copy(self, item: Watched) -> bool:
        """Copy if the source changed since the last copy; True when it did."""
        try:
            info = item.source.stat()
        except OSError:
            return False
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == item.stamp:
            return False
        target = self.target(item.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        try:
            shutil.copyfile(item.source, temp)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        item.stamp = stamp
        self.run._record("file", {"name": item.name, "size": target.stat().st_size})
        return True

    def _start_watching(self) -> None:
        if self.thread is None:
            name = f"nbtrack-files-{self.run.id}"
            self.thread = threading.Thread(target=self._watch, name=name, daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        while not self.stop.wait(POLL_SECONDS):
            self.check()

    def check(self) -> None:
        with self.lock:
            for item in list(self.live.values()):
                try:
                    self.copy(item)
                except (OSError, ValueError) as exc:
                    console.say(f"could not copy {item.source} into the run: {exc}")
                    self.live.pop(item.name, None)

    def finish(self, run: Run) -> None:
        """Before the run ends: stop watching, copy changed ``live`` files and the ``end`` ones."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        self.check()
        with self.lock:
            for item in self.at_end.values():
                try:
                    self.copy(item)
                except (OSError, ValueError) as exc:
                    console.say(f"could not copy {item.source} into the run: {exc}")


def saver_of(run: Run) -> FileSaver:
    saver = getattr(run, "_file_saver", None)
    if saver is None:
        saver = FileSaver(run)
        run._file_saver = saver  # type: ignore[attr-defined]
    return saver


@dataclasses.dataclass(frozen=True)
class CodeSnapshot:
    """What ``log_code()`` kept: a name and the files, under ``files/code/``."""

    name: str
    files: tuple[str, ...]


def is_code(path: str) -> bool:
    """The default of ``log_code``: Python files, ``requirements.txt`` and Dockerfiles."""
    file = os.path.basename(path)
    return file.endswith(".py") or file.startswith("Dockerfile") or file == "requirements.txt"


def log_code(
    run: Run,
    root: Any = ".",
    name: str | None = None,
    include_fn: PathFilter | None = None,
    exclude_fn: PathFilter | None = None,
) -> CodeSnapshot | None:
    """Copy the code files under ``root`` into ``files/code/``; None when none matched."""
    include_fn = include_fn or is_code
    if run.finished:
        raise RunFinished(run.id, "log code")
    top = Path(os.path.abspath(root if root is not None else "."))
    if not top.is_dir():
        raise ValueError(f"log_code(root={root!r}): not a folder; pass the folder of your code.")
    skip = run.settings.root.resolve()
    saver = saver_of(run)
    kept = []
    for path in _walk(top, skip):
        text = str(path)
        if _call(include_fn, text, str(top)) and not (
            exclude_fn and _call(exclude_fn, text, str(top))
        ):
            relative = path.relative_to(top).as_posix()
            saver.add(path, f"{CODE_FOLDER}/{relative}", "now")
            kept.append(relative)
    if not kept:
        return None
    label = name or f"source-{run.project}-{_entrypoint(run)}"
    run.record_metadata(code={"name": label, "root": str(top), "files": len(kept)})
    return CodeSnapshot(label, tuple(kept))


def _walk(top: Path, skip: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d != ".git" and (here / d).resolve() != skip)
        found.extend(here / f for f in sorted(files) if (here / f).is_file())
    return found


def _call(function: PathFilter, path: str, root: str) -> bool:
    try:
        takes_root = len(inspect.signature(function).parameters) >= 2
    except (TypeError, ValueError):
        takes_root = False
    return bool(function(path, root) if takes_root else function(path))


def _entrypoint(run: Run) -> str:
    program = run.metadata.get("program") or "notebook"
    return Path(str(program)).name.replace(".", "_")
