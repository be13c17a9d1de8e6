"""Artifact pages of the web UI: a project's artifacts, and one version with its versions,
aliases, files, metadata and the runs that logged and used it. Rendered server-side (no script),
under the same permission rules as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from nbtrack.server.accounts import access
from nbtrack.server.artifacts import lineage, store
from nbtrack.server.context import Context, context_of
from nbtrack.server.web.ui import PageViewer, render

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context_of)]
FILES_SHOWN = 1000


@router.get("/{entity}/{project}/artifacts", response_class=HTMLResponse)
def artifact_list(
    request: Request, entity: str, project: str, ctx: Ctx, viewer: PageViewer
) -> Response:
    with ctx.db.read() as conn:
        proj = access.readable(conn, viewer, entity, project)
        found = lineage.collections(conn, proj, None, None)
    return render(request, "artifacts.html", viewer=viewer, project=proj, collections=found)


@router.get("/{entity}/{project}/artifacts/{name}/{alias}", response_class=HTMLResponse)
def artifact_page(
    request: Request, entity: str, project: str, name: str, alias: str, ctx: Ctx, viewer: PageViewer
) -> Response:
    with ctx.db.read() as conn:
        proj = access.readable(conn, viewer, entity, project)
        version = store.find_version(conn, proj, name, alias)
        shown = store.present(conn, proj, version)
        entries = store.entries(conn, version["pk"])
        values: dict[str, Any] = {
            "version": shown,
            "versions": lineage.versions(conn, proj, name),
            "entries": list(entries.items())[:FILES_SHOWN],
            "file_count": len(entries),
            "used_by": lineage.used_by(conn, viewer, version["pk"]),
        }
    api = f"/api/v1/artifacts/{entity}/{project}/{name}/{shown['version']}"
    return render(request, "artifact.html", viewer=viewer, project=proj, files_api=api, **values)
