"""``nbtrack.init()``: resolve settings, apply the reinit and resume rules, start the run."""

from __future__ import annotations

import atexit
import dataclasses
import os
import platform
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from nbtrack import (
    console,
    environment,
    names,
    registry,
    runconfig,
    rundir,
    runlog,
    runstate,
    values,
)
from nbtrack import settings as settings_module
from nbtrack._run import Run
from nbtrack.compat import unsupported, wandbsettings
from nbtrack.disabled import DisabledRun
from nbtrack.errors import ResumeError
from nbtrack.runlog import FORMAT_VERSION
from nbtrack.settings import Settings

if TYPE_CHECKING:
    from nbtrack.runparts import fork

REINIT = {
    "default": "default",
    "return_previous": "return_previous",
    "finish_previous": "finish_previous",
    "create_new": "create_new",
    True: "finish_previous",
    False: "return_previous",
}
RESUME = {"allow", "must", "never", "auto"}
_hooks_installed = threading.Event()


def init(
    project: str | None = None,
    entity: str | None = None,
    name: str | None = None,
    id: str | None = None,
    config: Any = None,
    tags: Any = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    mode: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    reinit: bool | str | None = None,
    resume: bool | str | None = None,
    save_code: bool | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    resume_from: str | None = None,
    fork_from: str | None = None,
    allow_val_change: bool | None = None,
    config_exclude_keys: Any = None,
    config_include_keys: Any = None,
    anonymous: Any = None,
    force: bool | None = None,
    sync_tensorboard: bool | None = None,
    monitor_gym: bool | None = None,
) -> Run:
    """Start a run (or return/finish the current one, as ``reinit`` says) and return it.

    ``anonymous`` and ``force`` are accepted for wandb's sake and change nothing (see the README).
    """
    branch = _branch_asked(resume_from, fork_from, resume)
    arguments = dict(project=project, entity=entity, name=name, run_id=id, tags=tags, notes=notes)
    arguments.update(group=group, job_type=job_type, mode=mode, dir=dir, save_code=save_code)
    arguments.update(resume=_resume_policy(resume), allow_val_change=allow_val_change)
    overrides = _settings_overrides(settings)
    overrides.update({k: v for k, v in arguments.items() if v is not None})
    resolved = settings_module.resolve(overrides)
    config_data = _config_dict(config, config_include_keys, config_exclude_keys)
    unsupported.warn_init(sync_tensorboard=sync_tensorboard, monitor_gym=monitor_gym)
    policy = _reinit_policy(reinit)
    quiet = resolved.silent or environment.in_jupyter_kernel()  # the widget shows it there
    previous = registry.current()
    if previous is not None and not previous.finished:
        if policy == "return_previous":
            console.say(
                f"reinit='return_previous': returning the current run {previous.name} "
                f"({previous.id}); pass reinit='finish_previous' to start a new one.",
                quiet,
            )
            return previous
        if policy == "finish_previous":
            previous.finish(reason="finished by a new init()")
            console.say(
                f"reinit='finish_previous': finished run {previous.name} ({previous.id}) "
                "before starting a new one.",
                quiet,
            )
    run = _start(resolved, config_data, branch)
    registry.add(run, make_current=policy != "create_new")
    _install_exit_hooks()
    _attach_jupyter(run)
    if run.url is not None:  # in Jupyter the widget shows the link
        console.say(f"Run {run.name}: {run.url}", quiet)
    return run


def _config_dict(config: Any, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """The config as a dict (with the ``CONFIG_PATHS`` files under it), checked before anything
    is written (a bad value leaves no run)."""
    paths = wandbsettings.getenv("NBTRACK_CONFIG_PATHS")
    data = runconfig.parse(wandbsettings.config_files(paths)) if paths else {}
    if config is not None:
        data.update(runconfig.parse(config, include, exclude))
    try:
        runlog.dumps(runconfig.string_keys(data))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise values.explain(data, exc, "config") from None
    return data


def _settings_overrides(settings: Settings | Mapping[str, Any] | None) -> dict[str, Any]:
    if settings is None:
        return {}
    if isinstance(settings, Settings):
        defaults = Settings()
        return {
            f.name: getattr(settings, f.name)
            for f in dataclasses.fields(Settings)
            if getattr(settings, f.name) != getattr(defaults, f.name)
        }
    if isinstance(settings, Mapping):
        return dict(settings)
    raise TypeError(f"settings must be a dict or nbtrack.Settings, not {type(settings).__name__}.")


def _reinit_policy(reinit: bool | str | None) -> str:
    key = "default" if reinit is None else reinit
    policy = REINIT.get(key) if isinstance(key, bool | str) else None
    if policy is None:
        raise ValueError(
            f"reinit={reinit!r} is not a reinit policy; use 'default', 'return_previous', "
            "'finish_previous', 'create_new', True or False."
        )
    if policy == "default":
        return "finish_previous" if environment.in_ipython() else "return_previous"
    return policy


def _resume_policy(resume: bool | str | None) -> str | None:
    if resume is None or resume is False:
        return None
    if resume is True:
        return "auto"
    if resume in RESUME:
        return str(resume)
    raise ValueError(f"resume={resume!r} is not valid; use 'allow', 'must', 'never' or 'auto'.")


def _start(settings: Settings, config: dict[str, Any], branch: fork.Branch | None = None) -> Run:
    if settings.mode == "disabled":
        return DisabledRun.create(settings, config)
    if branch is not None:
        return _branch(settings, config, branch)
    existing = _existing_run(settings)
    if existing is not None:
        return _resume(settings, existing, config)
    return _new(settings, config)


def _branch_asked(resume_from: Any, fork_from: Any, resume: Any) -> fork.Branch | None:
    """The branch init()'s arguments ask for (the fork module loads only when one is asked)."""
    if resume_from is None and fork_from is None:
        return None
    from nbtrack.runparts import fork

    return fork.parse(resume_from, fork_from, resume)


def _branch(settings: Settings, config: dict[str, Any], branch: fork.Branch) -> Run:
    """resume_from= rewinds a run and resumes it; fork_from= starts a new run from another."""
    from nbtrack.runparts import fork

    if branch.kind == "rewind":
        settings = dataclasses.replace(settings, run_id=branch.run_id, resume="allow")
        return _resume(settings, fork.rewind(settings, branch), config)
    seed = fork.Fork(settings, branch)
    return _new(settings, {**seed.seed.config, **config}, seed)


def _existing_run(settings: Settings) -> Any:
    policy, run_id, root = settings.resume, settings.run_id, settings.root
    if run_id is None:
        if policy == "must":
            raise ResumeError("resume='must' needs the id of the run to resume: pass id=...")
        return _crashed_latest(root) if policy == "auto" else None
    found = rundir.find(root, run_id)
    if found is None and policy == "must":
        raise ResumeError(
            f"resume='must' but there is no run {run_id!r} under {root}; check the id and dir, "
            "or use resume='allow' to start it if missing."
        )
    if found is not None and policy in (None, "never"):
        raise ResumeError(
            f"A run with id {run_id!r} exists already ({found}); pass resume='allow' to continue "
            "it, or leave id unset for a new run."
        )
    return found


def _crashed_latest(root: Any) -> Any:
    latest = root / rundir.LATEST
    if not latest.exists():
        return None
    path = latest.resolve()
    return path if runstate.state_of(path) == "crashed" else None


def _new(settings: Settings, config: dict[str, Any], seed: fork.Fork | None = None) -> Run:
    run_id = settings.run_id or names.generate_id()
    started = time.time()
    name = settings.name or names.generate_name(settings.project)
    info = _info(settings, run_id, name, started)
    connection = _connect(settings, info)
    try:
        path = rundir.create(settings.root, run_id, settings.mode == "offline", started)
    except FileExistsError:
        raise ResumeError(f"A run with id {run_id!r} is being created already.") from None
    branched = seed.run_arguments() if seed is not None else {}
    run = Run(settings, path, info, environment.describe(), config=config, **branched)
    _go_online(run, connection)
    run.start({"format": FORMAT_VERSION, "run_id": run_id, "created_at": started})
    if seed is not None:
        seed.copy_into(run)
    return run


def _connect(settings: Settings, info: dict[str, Any]) -> Any:
    """Online: ask the server before anything is written, so a refused run leaves nothing."""
    if settings.mode != "online":
        return None
    from nbtrack import online

    return online.connect(settings, info)


def _go_online(run: Run, connection: Any) -> None:
    if connection is None:
        return
    from nbtrack.upload.background import BackgroundUpload
    from nbtrack.upload.uploader import Uploader

    run.entity = run.entity or connection.entity
    uploader = Uploader(Path(run.dir), connection.transport, run.entity, run.project)
    uploader.url = connection.url
    run.attach_upload(BackgroundUpload(uploader), connection.url)


def _resume(settings: Settings, path: Any, config: dict[str, Any]) -> Run:
    state = runstate.replay(path)
    info = dict(state.info)
    fresh = _info(settings, info.get("id", path.name), info.get("name", ""), time.time())
    keep = {"id", "created_at", "name", "project", "entity"}
    info.update({k: v for k, v in fresh.items() if k not in keep and v not in (None, [], ())})
    if settings.name:
        info["name"] = settings.name
    connection = _connect(settings, info)
    run = Run(
        settings,
        path,
        info,
        {**state.metadata, **environment.describe()},
        config=state.config,
        summary=state.summary,
        next_step=state.next_step,
        runtime=state.runtime,
        history_count=state.history_count,
        metrics=state.metrics,
        resumed=True,
    )
    _go_online(run, connection)
    run.start({})
    run._record("resume", {"at": time.time(), "pid": fresh["pid"], "host": fresh["host"]})
    if config:
        run.config.update(config, allow_val_change=True)  # as wandb: init's config wins
    return run


def _info(settings: Settings, run_id: str, name: str, started: float) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "project": settings.project,
        "entity": settings.entity,
        "tags": list(settings.tags),
        "notes": settings.notes,
        "group": settings.group,
        "job_type": settings.job_type,
        "mode": settings.mode,
        "created_at": started,
        "host": platform.node(),
        "pid": os.getpid(),
    }


def _attach_jupyter(run: Run) -> None:
    if not environment.in_jupyter_kernel():
        return
    try:
        from nbtrack.jupyter import attach
    except ImportError:
        return
    attach(run)


def _install_exit_hooks() -> None:
    if _hooks_installed.is_set():
        return
    _hooks_installed.set()
    previous_hook = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        _finish_all(130 if issubclass(kind, KeyboardInterrupt) else 1)
        previous_hook(kind, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_finish_all, 0)


def _finish_all(exit_code: int) -> None:
    for run in registry.live():
        try:
            if exit_code == 130:
                run.mark_killed()
            else:
                run.finish(exit_code=exit_code, reason="process exit")
        except Exception as exc:
            console.say(f"could not finish run {run.id} at exit: {exc!r}")
