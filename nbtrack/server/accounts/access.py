"""Who may do what. A viewer is a user or anonymous; a project is readable when public or when the
viewer is a member of its entity, writable by admins and members. The three refusals differ:
401 (not logged in), 404 naming the entity (no such entity), 403 naming entity and project (no
permission). A private project answers a non-member exactly as a missing one does.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.accounts import store
from nbtrack.server.database import one, rows, run, scalar
from nbtrack.server.problems import (
    entity_not_found,
    forbidden,
    invalid,
    not_found,
    not_logged_in,
    permission_denied,
)

WRITE_ROLES = ("admin", "member")
VISIBILITIES = ("private", "public")


@dataclasses.dataclass(frozen=True)
class Viewer:
    user: store.User | None

    @property
    def name(self) -> str:
        return self.user.name if self.user else "anonymous"


ANONYMOUS = Viewer(None)


@dataclasses.dataclass(frozen=True)
class Project:
    pk: int
    entity: str
    name: str
    visibility: str
    created_at: float
    role: str | None  # the viewer's role in the entity

    @property
    def member(self) -> bool:
        return self.role is not None

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.name}"


def role(conn: Connection, viewer: Viewer, entity_row: dict[str, Any]) -> str | None:
    return store.role_in(conn, viewer.user, entity_row) if viewer.user else None


def require_entity(conn: Connection, name: str) -> dict[str, Any]:
    store.valid_name("entity", name)
    found = store.entity(conn, name)
    if found is None:
        raise entity_not_found(name)
    return found


INSERT_PROJECT = (
    "INSERT INTO projects (entity_pk, name, visibility, created_at) "
    "VALUES (:e, :n, 'private', :t) ON CONFLICT (entity_pk, name) DO NOTHING"
)
PROJECT_SQL = (
    "SELECT pk, name, visibility, created_at FROM projects WHERE entity_pk = :e AND name = :n"
)


def _project(row: dict[str, Any], entity: str, role: str | None) -> Project:
    return Project(int(row["pk"]), entity, row["name"], row["visibility"], row["created_at"], role)


def readable(conn: Connection, viewer: Viewer, entity: str, project: str) -> Project:
    ent = require_entity(conn, entity)
    store.valid_name("project", project)
    viewer_role = role(conn, viewer, ent)
    row = one(conn, PROJECT_SQL, {"e": ent["pk"], "n": project})
    if row is None or (row["visibility"] != "public" and viewer_role is None):
        raise not_found(
            f"Project '{entity}/{project}' not found (or it is private and you are not a "
            "member of its entity): check the name, or log in with `nbtrack login`."
        )
    return _project(row, entity, viewer_role)


def writable(conn: Connection, viewer: Viewer, entity: str, project: str) -> Project:
    """The project, created (private) on first write when the viewer may write to the entity."""
    if viewer.user is None:
        raise not_logged_in("Writing needs an API key and none was sent")
    ent = require_entity(conn, entity)
    store.valid_name("project", project)
    viewer_role = role(conn, viewer, ent)
    if viewer_role not in WRITE_ROLES:
        raise permission_denied(entity, project)
    params = {"e": ent["pk"], "n": project}
    row = one(conn, PROJECT_SQL, params)
    if row is None:
        run(conn, INSERT_PROJECT, params | {"t": time.time()})
        row = one(conn, PROJECT_SQL, params)
        assert row is not None
    return _project(row, entity, viewer_role)


def administrable(conn: Connection, viewer: Viewer, entity: str) -> dict[str, Any]:
    if viewer.user is None:
        raise not_logged_in("This needs an API key and none was sent")
    ent = require_entity(conn, entity)
    if role(conn, viewer, ent) != "admin":
        raise forbidden(
            f"Only admins of '{entity}' may do this: ask one of them (or a server admin)."
        )
    return ent


def require_user(viewer: Viewer) -> store.User:
    if viewer.user is None:
        raise not_logged_in("This needs an API key and none was sent")
    return viewer.user


def require_server_admin(viewer: Viewer) -> store.User:
    user = require_user(viewer)
    if not user.is_admin:
        raise forbidden("Only server admins may do this: ask one to run `nbtrack admin`.")
    return user


def set_visibility(conn: Connection, project: Project, visibility: str) -> Project:
    if visibility not in VISIBILITIES:
        raise invalid(f"visibility={visibility!r} is not valid; use 'private' or 'public'.")
    run(
        conn,
        "UPDATE projects SET visibility = :v WHERE pk = :p",
        {"v": visibility, "p": project.pk},
    )
    return dataclasses.replace(project, visibility=visibility)


def projects_of(conn: Connection, viewer: Viewer, entity: str) -> list[dict[str, Any]]:
    ent = require_entity(conn, entity)
    member = role(conn, viewer, ent) is not None
    found = rows(
        conn,
        "SELECT p.name, p.visibility, p.created_at, "
        "(SELECT COUNT(*) FROM runs r WHERE r.project_pk = p.pk) AS run_count "
        "FROM projects p WHERE p.entity_pk = :e ORDER BY p.name",
        {"e": ent["pk"]},
    )
    return [{"entity": entity, **r} for r in found if member or r["visibility"] == "public"]


def run_count(conn: Connection, project: Project) -> int:
    return int(scalar(conn, "SELECT COUNT(*) FROM runs WHERE project_pk = :p", {"p": project.pk}))
