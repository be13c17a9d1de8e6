"""The web UI, served by the same process: login with an API key, entity -> projects -> run table
-> run page with live charts. Pages are rendered server-side by Jinja2 with autoescaping; every
asset (uPlot included) ships in the package. POST forms carry a CSRF token (double submit, cookie
plus field) and are refused from another origin.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlparse, urlsplit

import jinja2
from fastapi import APIRouter, Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from nbtrack.runparts.metrics import chart_axes
from nbtrack.server import api
from nbtrack.server.accounts import access, auth
from nbtrack.server.accounts import store as accounts
from nbtrack.server.accounts.access import Viewer
from nbtrack.server.artifacts import lineage
from nbtrack.server.context import Context, context_of
from nbtrack.server.files import store as files
from nbtrack.server.history import charts
from nbtrack.server.history import store as history
from nbtrack.server.problems import ApiError, forbidden, invalid
from nbtrack.server.runs import alerts
from nbtrack.server.runs import store as runs
from nbtrack.server.storage import StorageError
from nbtrack.server.values import stored_object
from nbtrack.server.web import pages
from nbtrack.server.wire import JSONResponse, finite

SERVER = Path(__file__).parents[1]  # templates/ and static/ sit in the server package
CSRF_COOKIE = "nbtrack_csrf"
PAGE_SIZE = 50
CHART_POINTS = 600
DIFF_LIMIT = 2 * 1024 * 1024
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(SERVER / "templates"),
    autoescape=True,
)
TEMPLATES.filters.update(
    shown=pages.shown,
    entry=pages.entry,
    date=pages.date,
    duration=pages.duration,
    urlquote=lambda s: quote(str(s), safe="", errors="replace"),
    pathquote=lambda s: quote(str(s), safe="/", errors="replace"),
    filesize=pages.file_size,
)
router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context_of)]


def mount(app: FastAPI) -> None:
    from nbtrack.server.artifacts import pages as artifactpages
    from nbtrack.server.media import page as mediapage

    app.mount("/static", StaticFiles(directory=SERVER / "static"), name="static")
    app.include_router(mediapage.router)
    app.include_router(artifactpages.router)
    app.include_router(router)


def page_viewer(request: Request, ctx: Ctx) -> Viewer:
    try:
        viewer = auth.viewer_of(request, ctx.db)
    except ApiError:
        viewer = access.ANONYMOUS
    request.state.viewer = viewer  # for error_page
    return viewer


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    viewer: Viewer | None = values.pop("viewer", None)
    body = TEMPLATES.get_template(template).render(
        csrf=token, user=viewer.user if viewer else None, path=request.url.path, **values
    )
    body = pages.valid_unicode(body)
    response = HTMLResponse(body, status_code=status)  # security headers: see headers.py
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


PageViewer = Annotated[Viewer, Depends(page_viewer)]


def error_page(request: Request, error: ApiError) -> Response:
    """The error as a page; a visitor who is not logged in and finds no project or run (it may
    be private) is sent to the login form, which brings them back here."""
    viewer = getattr(request.state, "viewer", None)
    if isinstance(viewer, Viewer) and viewer.user is None and error.code == "not_found":
        return login_redirect(request)
    return render(request, "error.html", status=error.status, error=error, viewer=viewer)


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = quote(here, safe="", errors="replace")
    return RedirectResponse(f"/login?next={target}", status_code=303)


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token and origin are checked."""
    origin = request.headers.get("origin")
    if origin is not None and urlparse(origin).netloc != request.url.netloc:
        raise forbidden(
            f"Form post from origin {origin!r} refused (only this site's own pages may post)."
        )
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, form.get("csrf", "")):
        raise forbidden("The form expired or came from another site; reload the page and retry.")
    return form


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else "/" (no open redirects): it starts with one
    '/', holds no backslash, space or control character, and names no scheme or host."""
    if not target or len(target) > 4096 or not target.startswith("/") or target.startswith("//"):
        return "/"
    if any(c <= " " or c in "\\\x7f" for c in target):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: PageViewer) -> Response:
    if viewer.user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(f"/{quote(viewer.user.name)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next), message=None)


@router.post("/login")
async def login(request: Request, ctx: Ctx) -> Response:
    form = await checked_form(request)
    token = await run_in_threadpool(_new_session, ctx, form.get("api_key", "").strip())
    if token is None:
        message = "That API key is unknown or revoked. Create one with `nbtrack admin key`."
        return render(
            request, "login.html", status=401, next=safe_next(form.get("next")), message=message
        )
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=auth.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=ctx.config.secure_cookies,
        path="/",
    )
    return response


def _new_session(ctx: Context, key: str) -> str | None:
    with ctx.db.write() as conn:
        return auth.start_session(conn, key) if key else None


@router.post("/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    await checked_form(request)
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        await run_in_threadpool(_end_session, ctx, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/{entity}", response_class=HTMLResponse)
def entity_page(
    request: Request,
    entity: str,
    ctx: Ctx,
    viewer: PageViewer,
) -> Response:
    with ctx.db.read() as conn:
        projects = access.projects_of(conn, viewer, entity)
        mine = viewer.user is not None and viewer.user.name == entity
        teams = accounts.teams_of(conn, viewer.user.pk) if viewer.user and mine else []
    return render(
        request, "entity.html", viewer=viewer, entity=entity, projects=projects, teams=teams
    )


@router.get("/{entity}/{project}", response_class=HTMLResponse)
def project_page(
    request: Request,
    entity: str,
    project: str,
    ctx: Ctx,
    viewer: PageViewer,
    sort: str = "-created_at",
    page: int = 1,
    state: str | None = None,
    tag: str | None = None,
    metrics: str | None = None,
) -> Response:
    page = max(1, min(page, 10**9))
    query = runs.Listing(
        api.text_param("state", state) or None,
        api.text_param("tag", tag) or None,
        None,
        api.text_param("sort", sort) or "-created_at",
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    with ctx.db.read() as conn:
        proj = access.readable(conn, viewer, entity, project)
        found, total = runs.listing(conn, proj, query, ctx.config.heartbeat_timeout)
        admin = proj.role == "admin"
    shown_runs = [api.run_json(ctx, request, r, proj) for r in found]
    columns = pages.summary_columns(shown_runs, api.text_param("metrics", metrics))
    return render(
        request,
        "project.html",
        viewer=viewer,
        project=proj,
        runs=shown_runs,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        sort=query.sort,
        columns=columns,
        admin=admin,
        state=state or "",
        tag=tag or "",
        metrics=metrics or "",
        colours=pages.STATE_COLOURS,
    )


@router.post("/{entity}/{project}/visibility")
async def set_visibility(
    request: Request,
    entity: str,
    project: str,
    ctx: Ctx,
) -> Response:
    form = await checked_form(request)
    viewer = await run_in_threadpool(_session_viewer, request, ctx)
    await run_in_threadpool(_set_visibility, ctx, viewer, entity, project, form.get("visibility"))
    return RedirectResponse(f"/{quote(entity)}/{quote(project)}", status_code=303)


def _set_visibility(
    ctx: Context, viewer: Viewer, entity: str, project: str, visibility: str | None
) -> None:
    with ctx.db.write() as conn:
        access.administrable(conn, viewer, entity)
        proj = access.readable(conn, viewer, entity, project)
        access.set_visibility(conn, proj, visibility or "")


def _end_session(ctx: Context, token: str) -> None:
    with ctx.db.write() as conn:
        auth.end_session(conn, token)


def _session_viewer(request: Request, ctx: Context) -> Viewer:
    token = request.cookies.get(auth.SESSION_COOKIE)
    with ctx.db.read() as conn:
        user = auth.session_user(conn, token) if token else None
    return Viewer(user)


@router.get("/{entity}/{project}/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request,
    entity: str,
    project: str,
    run_id: str,
    ctx: Ctx,
    viewer: PageViewer,
) -> Response:
    with ctx.db.read() as conn:
        proj, row = api.readable_run(conn, viewer, entity, project, run_id)
        metric_keys = history.metrics(conn, row["pk"])
        diff = _diff(ctx, conn, row, proj.member)
        run_files = files.listing(conn, row["pk"], proj.member)
        run_alerts = alerts.listing(conn, row["pk"])
        run_artifacts = lineage.of_run(conn, viewer, row["pk"])
    run = api.run_json(ctx, request, row, proj)
    git = run.get("git") or {}
    return render(
        request,
        "run.html",
        viewer=viewer,
        project=proj,
        run=run,
        metrics=metric_keys,
        files=run_files,
        alerts=run_alerts,
        artifacts=run_artifacts,
        files_url=f"/api/v1/runs/{quote(entity)}/{quote(project)}/{quote(run_id)}/files",
        media_api=f"/api/v1/runs/{quote(entity)}/{quote(project)}/{quote(run_id)}/media",
        git=git,
        diff=pages.diff_lines(diff) if diff else [],
        remote=pages.remote_link(git.get("remote")),
        command=pages.command(run["metadata"]) if proj.member else None,
        code=pages.code_path(run["metadata"]),
        colours=pages.STATE_COLOURS,
        live=f"/{quote(entity)}/{quote(project)}/runs/{quote(run_id)}/live",
    )


def _diff(ctx: Context, conn: Any, row: dict[str, Any], member: bool) -> str | None:
    if not member:
        return None
    git = stored_object(row["git"])
    if isinstance(git.get("diff"), str):
        return str(git["diff"])
    try:
        files.require(conn, row["pk"], "diff.patch", member)
    except ApiError:
        return None
    try:
        with ctx.storage.open(files.key(row["pk"], "diff.patch")) as handle:
            return handle.read(DIFF_LIMIT).decode("utf-8", "replace")
    except (FileNotFoundError, StorageError):
        return None


@router.get("/{entity}/{project}/runs/{run_id}/live")
def live(
    request: Request,
    entity: str,
    project: str,
    run_id: str,
    ctx: Ctx,
    viewer: PageViewer,
    points: int = CHART_POINTS,
) -> JSONResponse:
    """What the run page polls: state, step count and every chart (non-finite values as null)."""
    if not 2 <= points <= 10_000:
        raise invalid(f"points={points} must be between 2 and 10000.")
    with ctx.db.read() as conn:
        _, row = api.readable_run(conn, viewer, entity, project, run_id)
        keys = history.metrics(conn, row["pk"])
        series = charts.chart(conn, row["pk"], keys, points, None, None)
    axes, hidden = chart_axes(stored_object(row["metrics"]), keys)
    body = {
        "state": runs.shown_state(row, ctx.config.heartbeat_timeout),
        "history_count": row["history_count"],
        "series": series,
        "axes": axes,  # metric -> its step metric (define_metric), the chart's x-axis
        "hidden": hidden,  # define_metric(hidden=True): no chart of its own
    }
    return JSONResponse(finite(body))
