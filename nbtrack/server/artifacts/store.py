"""Artifacts in the database: collections, versions ``v0, v1, ...``, aliases, entries, usage.

A collection is ``(project, name)`` with one type. A version is named by its manifest digest:
committing a digest the collection already has answers that version (its aliases updated), so a
retried or repeated ``log_artifact`` never makes a second one. ``latest`` always points at the
highest version; other aliases move to whichever version last claimed them. Stored entries name
blobs by SHA-256, which must have been uploaded for the entity first (``artifact_blobs``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.accounts.access import Project
from nbtrack.server.database import Dialect, bulk, one, rows, run, scalar
from nbtrack.server.problems import invalid, not_found

LATEST = "latest"
VERSION_SQL = (
    "SELECT v.pk, v.version, v.digest, v.size, v.file_count, v.description, v.metadata, "
    "v.created_at, v.producer_pk, a.pk AS artifact_pk, a.name, a.type "
    "FROM artifact_versions v JOIN artifacts a ON a.pk = v.artifact_pk "
)


def entity_pk(conn: Connection, project: Project) -> int:
    return int(scalar(conn, "SELECT entity_pk FROM projects WHERE pk = :p", {"p": project.pk}))


def collection(conn: Connection, dialect: Dialect, project: Project, name: str, kind: str) -> int:
    """The collection's pk (created if new, locked for this transaction); its type must match."""
    run(
        conn,
        "INSERT INTO artifacts (project_pk, name, type, created_at) VALUES (:p, :n, :t, :c) "
        "ON CONFLICT (project_pk, name) DO NOTHING",
        {"p": project.pk, "n": name, "t": kind, "c": time.time()},
    )
    lock = " FOR UPDATE" if dialect.name == "postgresql" else ""
    found = one(
        conn,
        f"SELECT pk, type FROM artifacts WHERE project_pk = :p AND name = :n{lock}",
        {"p": project.pk, "n": name},
    )
    assert found is not None
    if found["type"] != kind:
        raise invalid(
            f"Artifact {name!r} in {project.path} is of type {found['type']!r}, not {kind!r}: "
            "log it with that type, or choose another name."
        )
    return int(found["pk"])


def missing_blobs(conn: Connection, entity: int, digests: list[str]) -> list[str]:
    """Which of the SHA-256s the entity has not uploaded."""
    have: set[str] = set()
    for start in range(0, len(digests), 500):
        part = digests[start : start + 500]
        marks = ", ".join(f":d{i}" for i in range(len(part)))
        params: dict[str, Any] = {f"d{i}": d for i, d in enumerate(part)} | {"e": entity}
        found = rows(
            conn,
            f"SELECT sha256 FROM artifact_blobs WHERE entity_pk = :e AND sha256 IN ({marks})",
            params,
        )
        have.update(r["sha256"] for r in found)
    return [d for d in dict.fromkeys(digests) if d not in have]


def record_blobs(conn: Connection, entity: int, stored: list[tuple[str, int]]) -> None:
    now = time.time()
    bulk(
        conn,
        "INSERT INTO artifact_blobs (entity_pk, sha256, size, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (entity_pk, sha256) DO NOTHING",
        [(entity, sha256, size, now) for sha256, size in stored],
    )


def commit(
    conn: Connection, dialect: Dialect, project: Project, run_pk: int, body: dict[str, Any]
) -> int:
    """The version of this manifest (made if new) with the aliases applied; answers its pk."""
    artifact = collection(conn, dialect, project, body["name"], body["type"])
    found = one(
        conn,
        "SELECT pk FROM artifact_versions WHERE artifact_pk = :a AND digest = :d",
        {"a": artifact, "d": body["digest"]},
    )
    if found is not None:
        version_pk = int(found["pk"])
    else:
        version_pk = _insert_version(conn, artifact, run_pk, body)
        _check_blobs(conn, entity_pk(conn, project), version_pk)  # else the insert rolls back
    set_aliases(conn, artifact, version_pk, body.get("aliases") or [])
    return version_pk


def _check_blobs(conn: Connection, entity: int, version_pk: int) -> None:
    """Every stored file of the new version names a blob the entity uploaded (one join)."""
    lacking = rows(
        conn,
        "SELECT e.digest FROM artifact_entries e LEFT JOIN artifact_blobs b "
        "ON b.entity_pk = :e AND b.sha256 = e.digest "
        "WHERE e.version_pk = :v AND e.ref IS NULL AND b.sha256 IS NULL",
        {"e": entity, "v": version_pk},
    )
    if lacking:
        raise invalid(
            f"{len(lacking)} files of this artifact were not uploaded (e.g. sha256 "
            f"{lacking[0]['digest']}): upload them (POST .../blobs) before committing the version."
        )


def _insert_version(conn: Connection, artifact: int, run_pk: int, body: dict[str, Any]) -> int:
    entries: dict[str, Any] = body["entries"]
    number = scalar(
        conn,
        "SELECT COALESCE(MAX(version), -1) + 1 FROM artifact_versions WHERE artifact_pk = :a",
        {"a": artifact},
    )
    size = sum(int(e.get("size") or 0) for e in entries.values())
    run(
        conn,
        "INSERT INTO artifact_versions (artifact_pk, version, digest, size, file_count, "
        "description, metadata, producer_pk, created_at) "
        "VALUES (:a, :v, :d, :s, :f, :desc, :m, :r, :t)",
        {
            "a": artifact,
            "v": number,
            "d": body["digest"],
            "s": size,
            "f": len(entries),
            "desc": body.get("description"),
            "m": json.dumps(body.get("metadata") or {}),
            "r": run_pk,
            "t": time.time(),
        },
    )
    pk = int(
        scalar(
            conn,
            "SELECT pk FROM artifact_versions WHERE artifact_pk = :a AND version = :v",
            {"a": artifact, "v": number},
        )
    )
    values = [
        (pk, path, e["digest"], e.get("size"), e.get("ref")) for path, e in sorted(entries.items())
    ]
    bulk(
        conn,
        "INSERT INTO artifact_entries (version_pk, path, digest, size, ref) VALUES (?, ?, ?, ?, ?)",
        values,
    )
    return pk


def set_aliases(conn: Connection, artifact: int, version_pk: int, aliases: list[str]) -> None:
    """Point each alias at the version (moving it), then ``latest`` at the highest version."""
    for alias in (a for a in aliases if a != LATEST):
        _point(conn, artifact, alias, version_pk)
    newest = scalar(
        conn,
        "SELECT pk FROM artifact_versions WHERE artifact_pk = :a ORDER BY version DESC LIMIT 1",
        {"a": artifact},
    )
    _point(conn, artifact, LATEST, int(newest))


def _point(conn: Connection, artifact: int, alias: str, version_pk: int) -> None:
    run(
        conn,
        "INSERT INTO artifact_aliases (artifact_pk, alias, version_pk) VALUES (:a, :l, :v) "
        "ON CONFLICT (artifact_pk, alias) DO UPDATE SET version_pk = excluded.version_pk",
        {"a": artifact, "l": alias, "v": version_pk},
    )


def replace_aliases(conn: Connection, version: dict[str, Any], aliases: list[str]) -> None:
    """Make the version's user aliases exactly ``aliases`` (``latest`` is not theirs to move)."""
    run(
        conn,
        "DELETE FROM artifact_aliases WHERE version_pk = :v AND alias <> :l",
        {"v": version["pk"], "l": LATEST},
    )
    set_aliases(conn, version["artifact_pk"], version["pk"], aliases)


def find_version(conn: Connection, project: Project, name: str, alias: str) -> dict[str, Any]:
    """``name:alias`` (``v3``, ``latest``, ``best``) in the project, or a 404 naming it."""
    where = "a.project_pk = :p AND a.name = :n AND "
    params: dict[str, Any] = {"p": project.pk, "n": name}
    if alias[:1] == "v" and alias[1:].isdigit() and len(alias) < 19:
        found = one(
            conn, VERSION_SQL + "WHERE " + where + "v.version = :v", params | {"v": int(alias[1:])}
        )
    else:
        found = one(
            conn,
            VERSION_SQL + "JOIN artifact_aliases l ON l.version_pk = v.pk "
            "WHERE " + where + "l.alias = :l",
            params | {"l": alias},
        )
    if found is None:
        raise not_found(
            f"Artifact {project.path}/{name}:{alias} not found: check the name and the alias or "
            "version (list them with GET /api/v1/artifacts/{entity}/{project}/{name}/versions)."
        )
    return found


def aliases_of(conn: Connection, version_pk: int) -> list[str]:
    found = rows(
        conn,
        "SELECT alias FROM artifact_aliases WHERE version_pk = :v ORDER BY alias",
        {"v": version_pk},
    )
    return [r["alias"] for r in found]


def run_path(conn: Connection, run_pk: int | None) -> str | None:
    if run_pk is None:
        return None
    found = one(
        conn,
        "SELECT e.name AS entity, p.name AS project, r.run_id FROM runs r "
        "JOIN projects p ON p.pk = r.project_pk JOIN entities e ON e.pk = p.entity_pk "
        "WHERE r.pk = :r",
        {"r": run_pk},
    )
    return f"{found['entity']}/{found['project']}/{found['run_id']}" if found else None


def present(conn: Connection, project: Project, version: dict[str, Any]) -> dict[str, Any]:
    """A version as the API answers it."""
    return {
        "entity": project.entity,
        "project": project.name,
        "name": version["name"],
        "type": version["type"],
        "version": f"v{version['version']}",
        "aliases": aliases_of(conn, version["pk"]),
        "digest": version["digest"],
        "size": version["size"],
        "file_count": version["file_count"],
        "description": version["description"],
        "metadata": json.loads(version["metadata"] or "{}"),
        "created_at": version["created_at"],
        "logged_by": run_path(conn, version["producer_pk"]),
    }


def version_by_pk(conn: Connection, version_pk: int) -> dict[str, Any]:
    found = one(conn, VERSION_SQL + "WHERE v.pk = :v", {"v": version_pk})
    assert found is not None
    return found


def entries(conn: Connection, version_pk: int) -> dict[str, Any]:
    found = rows(
        conn,
        "SELECT path, digest, size, ref FROM artifact_entries WHERE version_pk = :v ORDER BY path",
        {"v": version_pk},
    )
    return {r["path"]: _entry(r) for r in found}


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    entry = {"digest": row["digest"], "size": row["size"]}
    if row["ref"] is not None:
        entry["ref"] = row["ref"]
    return entry


def entry(conn: Connection, version_pk: int, path: str) -> dict[str, Any]:
    found = one(
        conn,
        "SELECT path, digest, size, ref FROM artifact_entries WHERE version_pk = :v AND path = :p",
        {"v": version_pk, "p": path},
    )
    if found is None:
        raise not_found(f"The artifact version has no file {path!r}; list its manifest first.")
    return found


def record_use(conn: Connection, version_pk: int, run_pk: int) -> None:
    run(
        conn,
        "INSERT INTO artifact_usage (version_pk, run_pk, used_at) VALUES (:v, :r, :t) "
        "ON CONFLICT (version_pk, run_pk) DO NOTHING",
        {"v": version_pk, "r": run_pk, "t": time.time()},
    )


def users(conn: Connection, version_pk: int) -> list[dict[str, Any]]:
    """The runs that used the version (``run_pk``, ``project_pk``), in the order they used it."""
    return rows(
        conn,
        "SELECT u.run_pk, r.project_pk FROM artifact_usage u JOIN runs r ON r.pk = u.run_pk "
        "WHERE u.version_pk = :v ORDER BY u.used_at",
        {"v": version_pk},
    )
