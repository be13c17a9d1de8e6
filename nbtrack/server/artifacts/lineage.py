"""Artifact lists and lineage: a project's collections, a collection's versions, what a run
logged and used, and edits of a version's aliases, description and metadata."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.accounts import access
from nbtrack.server.accounts.access import Project, Viewer
from nbtrack.server.artifacts import store
from nbtrack.server.database import one, rows, run
from nbtrack.server.problems import ApiError, not_found

PROJECT_SQL = (
    "SELECT p.pk, p.name, p.visibility, p.created_at, e.name AS entity FROM projects p "
    "JOIN entities e ON e.pk = p.entity_pk WHERE p.pk = :p"
)


def collections(
    conn: Connection, project: Project, kind: str | None, name: str | None
) -> list[dict[str, Any]]:
    where, params = "a.project_pk = :p", dict[str, Any](p=project.pk)
    if kind is not None:
        where, params = where + " AND a.type = :t", params | {"t": kind}
    if name is not None:
        where, params = where + " AND a.name = :n", params | {"n": name}
    return rows(
        conn,
        "SELECT a.name, a.type, a.created_at, COUNT(v.pk) AS versions, "
        "MAX(v.created_at) AS updated_at FROM artifacts a "
        "LEFT JOIN artifact_versions v ON v.artifact_pk = a.pk "
        f"WHERE {where} GROUP BY a.pk, a.name, a.type, a.created_at ORDER BY a.name",
        params,
    )


def versions(conn: Connection, project: Project, name: str) -> list[dict[str, Any]]:
    found = rows(
        conn,
        store.VERSION_SQL + "WHERE a.project_pk = :p AND a.name = :n ORDER BY v.version DESC",
        {"p": project.pk, "n": name},
    )
    if (
        not found
        and one(
            conn,
            "SELECT pk FROM artifacts WHERE project_pk = :p AND name = :n",
            {"p": project.pk, "n": name},
        )
        is None
    ):
        raise not_found(f"Artifact {project.path}/{name} not found; list the project's artifacts.")
    return [store.present(conn, project, v) for v in found]


def used_version(
    conn: Connection, project: Project, name: str, version: str | None, digest: str | None
) -> dict[str, Any]:
    if version is not None:
        return store.find_version(conn, project, name, version)
    found = one(
        conn,
        store.VERSION_SQL + "WHERE a.project_pk = :p AND a.name = :n AND v.digest = :d",
        {"p": project.pk, "n": name, "d": digest},
    )
    if found is None:
        raise not_found(
            f"Artifact {project.path}/{name} has no version with digest {digest}: sync the run "
            "that logged it first, then this one again."
        )
    return found


def _readable(conn: Connection, who: Viewer) -> Callable[[int], Project | None]:
    """The project of a pk, or None when the viewer cannot read it (each looked up once)."""
    seen: dict[int, Project | None] = {}

    def project(project_pk: int) -> Project | None:
        if project_pk not in seen:
            row = one(conn, PROJECT_SQL, {"p": project_pk})
            assert row is not None
            try:
                seen[project_pk] = access.readable(conn, who, row["entity"], row["name"])
            except ApiError:
                seen[project_pk] = None
        return seen[project_pk]

    return project


def _present_all(
    conn: Connection, who: Viewer, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Versions as the API shows them, leaving out those of projects the viewer cannot read."""
    readable = _readable(conn, who)
    shown = []
    for version in found:
        project = readable(version["project_pk"])
        if project is not None:
            shown.append(store.present(conn, project, version))
    return shown


def used_by(conn: Connection, who: Viewer, version_pk: int) -> list[str]:
    """Paths of the runs that used the version, leaving out those of projects the viewer cannot
    read (a public dataset must not name the private projects that use it)."""
    readable = _readable(conn, who)
    shown = []
    for usage in store.users(conn, version_pk):
        path = store.run_path(conn, usage["run_pk"]) if readable(usage["project_pk"]) else None
        if path:
            shown.append(path)
    return shown


def of_run(conn: Connection, who: Viewer, run_pk: int) -> dict[str, Any]:
    select = store.VERSION_SQL.replace("SELECT ", "SELECT a.project_pk, ", 1)
    logged = rows(conn, select + "WHERE v.producer_pk = :r ORDER BY v.created_at", {"r": run_pk})
    used = rows(
        conn,
        select + "JOIN artifact_usage u ON u.version_pk = v.pk WHERE u.run_pk = :r "
        "ORDER BY u.used_at",
        {"r": run_pk},
    )
    return {"logged": _present_all(conn, who, logged), "used": _present_all(conn, who, used)}


def edit(conn: Connection, version: dict[str, Any], changes: dict[str, Any]) -> None:
    if "aliases" in changes and changes["aliases"] is not None:
        user = [a for a in changes["aliases"] if a != store.LATEST]
        for alias in user:
            if alias[:1] == "v" and alias[1:].isdigit():
                from nbtrack.server.problems import invalid

                raise invalid(f"Alias {alias!r} is a version name; choose another alias.")
        store.replace_aliases(conn, version, user)
    if "description" in changes:
        run(
            conn,
            "UPDATE artifact_versions SET description = :d WHERE pk = :v",
            {"d": changes["description"], "v": version["pk"]},
        )
    if changes.get("metadata") is not None:
        run(
            conn,
            "UPDATE artifact_versions SET metadata = :m WHERE pk = :v",
            {"m": json.dumps(changes["metadata"]), "v": version["pk"]},
        )
