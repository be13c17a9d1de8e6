"""``%%track`` (one cell, one run) and ``%nbtrack status|sync|finish``.

Defaults are configurable: ``%config Track.project = "mnist"`` or ``c.Track.project`` in
``ipython_config.py``. Bad arguments raise ``UsageError``: the notebook shows a message, not a
traceback.
"""

from __future__ import annotations

import ast
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core import magic_arguments as arguments
from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from traitlets import List, Unicode

from nbtrack import registry
from nbtrack.errors import NbtrackError
from nbtrack.jupyter.extension import active

if TYPE_CHECKING:
    from nbtrack._run import Run

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
argument: Callable[..., Decorator] = arguments.argument
magic_arguments: Callable[[], Decorator] = arguments.magic_arguments
parse_argstring: Callable[[Any, str], Any] = arguments.parse_argstring


def parse_config(pairs: list[str]) -> dict[str, Any]:
    """``["lr=0.1", "opt=adam"]`` -> ``{"lr": 0.1, "opt": "adam"}``: Python literals if possible."""
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--config takes key=value pairs; {pair!r} has no '='.")
        try:
            config[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            config[key.strip()] = text
    return config


@magics_class
class Track(Magics):
    """nbtrack's magics; the traits are the defaults of ``%%track``."""

    project = Unicode(None, allow_none=True, help="Default project of %%track runs.").tag(
        config=True
    )
    entity = Unicode(None, allow_none=True, help="Default entity of %%track runs.").tag(config=True)
    mode = Unicode(None, allow_none=True, help="Default mode: online or offline.").tag(config=True)
    group = Unicode(None, allow_none=True, help="Default group of %%track runs.").tag(config=True)
    job_type = Unicode(None, allow_none=True, help="Default job type of %%track runs.").tag(
        config=True
    )
    tags = List(Unicode(), help="Tags added to every %%track run.").tag(config=True)

    @magic_arguments()
    @argument("--project", help="Project of the run.")
    @argument("--entity", help="Entity (user or team) of the run.")
    @argument("--name", help="Display name of the run.")
    @argument("--tags", help="Comma-separated tags: --tags a,b.")
    @argument(
        "--config",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="Config values, parsed as Python literals where possible: --config lr=0.1 opt=adam.",
    )
    @argument("--group", help="Group of the run.")
    @argument("--job-type", help="Job type of the run.")
    @argument("--mode", choices=("online", "offline"), help="online or offline.")
    @argument("--id", help="Run ID (a new one when not given).")
    @cell_magic
    def track(self, line: str, cell: str) -> Any:
        """Run the cell inside a fresh run, finished (or failed, or killed) with the cell."""
        __tracebackhide__ = True
        args = parse_argstring(self.track, line)
        run = self._start(args)
        previous = registry.set_current(run)
        try:
            return self._execute(cell, run)
        finally:
            if registry.current() is run or registry.current() is None:
                registry.set_current(previous if previous and not previous.finished else None)

    def _start(self, args: Any) -> Run:
        import nbtrack

        tags = [*self.tags, *(t.strip() for t in (args.tags or "").split(",") if t.strip())]
        options: dict[str, Any] = {
            "project": args.project or self.project,
            "entity": args.entity or self.entity,
            "name": args.name,
            "id": args.id,
            "group": args.group or self.group,
            "job_type": args.job_type or self.job_type,
            "mode": args.mode or self.mode,
            "tags": tags or None,
            "config": parse_config(args.config) or None,
        }
        try:
            run = nbtrack.init(**options, reinit="create_new")
        except (ValueError, NbtrackError) as exc:  # bad arguments, or the server said no
            raise UsageError(str(exc)) from None
        extension = active()
        if extension is not None and run not in extension.provenance:
            extension.attach(run)  # terminal IPython: init() attaches only inside a kernel
        return run

    def _execute(self, cell: str, run: Run) -> Any:
        __tracebackhide__ = True
        try:
            value = self._run_code(cell)
        except KeyboardInterrupt:
            _settle(run)
            run.mark_killed()
            raise
        except BaseException as exc:
            _settle(run)
            _record_error(run, exc)
            run.finish(exit_code=1, reason=f"{type(exc).__name__}: {exc}")
            raise
        _settle(run)
        run.finish(reason="the %%track cell ended")
        return value

    def _run_code(self, cell: str) -> Any:
        """Execute the cell in the user namespace; the value of a last expression is returned."""
        __tracebackhide__ = True
        shell: Any = self.shell
        source = shell.transform_cell(cell)
        filename = shell.compile.cache(source, shell.execution_count, raw_code=cell)
        tree: ast.Module = shell.compile.ast_parse(source, filename)
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
        namespace = shell.user_ns
        exec(compile(tree, filename, "exec", shell.compile.flags, True), namespace)
        if not isinstance(last, ast.Expr):
            return None
        expression = ast.Expression(last.value)
        return eval(compile(expression, filename, "eval", shell.compile.flags, True), namespace)

    @magic_arguments()
    @argument(
        "action",
        choices=("status", "sync", "finish"),
        help="status: live runs here; sync: upload offline runs; finish: the current run.",
    )
    @argument(
        "--all", action="store_true", help="finish: every live run, not only the current one."
    )
    @line_magic
    def nbtrack(self, line: str) -> None:
        """``%nbtrack status``, ``%nbtrack sync``, ``%nbtrack finish [--all]``."""
        args = parse_argstring(self.nbtrack, line)
        if args.action == "status":
            print(status_text())
        elif args.action == "finish":
            finish(args.all)
        else:
            print(sync_text())


def _settle(run: Run) -> None:
    """Let the run's notebook capture finish before the run does."""
    extension = active()
    provenance = extension.provenance.get(run) if extension else None
    if provenance is not None:
        provenance.join()


def _record_error(run: Run, exc: BaseException) -> None:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    error = {"type": type(exc).__name__, "message": str(exc), "traceback": "".join(lines)}
    try:
        run.record_metadata(error=error)
    except Exception as inner:
        print(f"nbtrack: could not record the error: {inner!r}", file=sys.stderr)


def status_text() -> str:
    runs = registry.live()
    if not runs:
        return "nbtrack: no live runs in this kernel."
    current = registry.current()
    lines = [f"nbtrack: {len(runs)} live run{'s' if len(runs) != 1 else ''}"]
    for run in runs:
        mark = "*" if run is current else " "
        where = run.url or run.dir
        lines.append(f"{mark} {run.name} ({run.id}) {run.project} step {run.step} {where}")
    return "\n".join(lines)


def finish(every: bool) -> None:
    runs = registry.live() if every else [r for r in [registry.current()] if r is not None]
    if not runs:
        raise UsageError("No current run to finish: start one with nbtrack.init().")
    for run in runs:
        run.finish(reason="finished by %nbtrack finish")
        print(f"nbtrack: finished {run.name} ({run.id}).")


def sync_text() -> str:
    from nbtrack import syncing
    from nbtrack.jupyter.syncjob import summary
    from nbtrack.progressbars import ProgressBars

    try:
        with ProgressBars() as bars:  # a bar per run: widgets in a notebook
            report = syncing.sync(progress=bars)
    except ValueError as exc:  # bad settings
        raise UsageError(str(exc)) from None
    return f"nbtrack: {summary(report)}"
