"""Users, teams, memberships and API keys. Keys are stored as SHA-256 hashes and shown once."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import time
from typing import Any

from sqlalchemy import Connection

from nbtrack.server.database import one, rows, run, scalar
from nbtrack.server.problems import ApiError, conflict, invalid, not_found
from nbtrack.settings import check_name

ROLES = ("admin", "member", "viewer")
RESERVED = frozenset({"api", "static", "login", "logout", "admin-ui"})  # web UI paths
KEY_PATTERN = re.compile(r"^nbt_[A-Za-z0-9_-]{40}$")


@dataclasses.dataclass(frozen=True)
class User:
    pk: int
    name: str
    entity_pk: int
    is_admin: bool


def new_key() -> str:
    return "nbt_" + secrets.token_urlsafe(30)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def valid_name(what: str, name: str) -> str:
    try:
        return check_name(what, name)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def entity(conn: Connection, name: str) -> dict[str, Any] | None:
    return one(conn, "SELECT pk, name, kind FROM entities WHERE name = :n", {"n": name})


def name_taken(conn: Connection, name: str) -> str | None:
    """The user or team name equal to ``name`` regardless of case, if there is one."""
    found: str | None = scalar(
        conn,
        "SELECT name FROM entities WHERE lower(name) = lower(:n) ORDER BY pk LIMIT 1",
        {"n": name},
    )
    return found


def _new_entity(conn: Connection, name: str, kind: str) -> int:
    valid_name("entity", name)
    if name.lower() in RESERVED:
        raise invalid(f"The name '{name}' is reserved by the server; choose another.")
    taken = name_taken(conn, name)
    if taken is not None:
        raise conflict(
            f"The name '{name}' is already taken by a user or team ('{taken}'; names are "
            "case-insensitive); choose another."
        )
    pk: int = scalar(
        conn,
        "INSERT INTO entities (name, kind, created_at) VALUES (:n, :k, :t) RETURNING pk",
        {"n": name, "k": kind, "t": time.time()},
    )
    return pk


def create_user(conn: Connection, name: str, is_admin: bool = False) -> User:
    entity_pk = _new_entity(conn, name, "user")
    pk: int = scalar(
        conn,
        "INSERT INTO users (entity_pk, is_admin, created_at) VALUES (:e, :a, :t) RETURNING pk",
        {"e": entity_pk, "a": int(is_admin), "t": time.time()},
    )
    return User(pk, name, entity_pk, is_admin)


def create_team(conn: Connection, name: str) -> int:
    return _new_entity(conn, name, "team")


USER_SQL = (
    "SELECT u.pk, e.name, u.entity_pk, u.is_admin FROM users u "
    "JOIN entities e ON e.pk = u.entity_pk "
)


def _user(row: dict[str, Any] | None) -> User | None:
    if row is None:
        return None
    return User(int(row["pk"]), row["name"], int(row["entity_pk"]), bool(row["is_admin"]))


def user_by_name(conn: Connection, name: str) -> User | None:
    return _user(one(conn, USER_SQL + "WHERE e.name = :n", {"n": name}))


def require_user(conn: Connection, name: str) -> User:
    user = user_by_name(conn, name)
    if user is None:
        raise not_found(f"User '{name}' does not exist; create it first (nbtrack admin user).")
    return user


KEY_USER_SQL = (
    "SELECT k.pk AS key_pk, u.pk, e.name, u.entity_pk, u.is_admin FROM api_keys k "
    "JOIN users u ON u.pk = k.user_pk JOIN entities e ON e.pk = u.entity_pk "
    "WHERE k.key_hash = :h AND k.revoked_at IS NULL"
)


def user_by_key(conn: Connection, key: str) -> User | None:
    found = key_user(conn, key)
    return found[1] if found else None


def key_user(conn: Connection, key: str) -> tuple[int, User] | None:
    """(the key's id, its user) for an active key, else None."""
    row = one(conn, KEY_USER_SQL, {"h": hash_key(key)})
    user = _user(row)
    return (int(row["key_pk"]), user) if row and user else None


def user_by_pk(conn: Connection, pk: int) -> User | None:
    return _user(one(conn, USER_SQL + "WHERE u.pk = :p", {"p": pk}))


def user_count(conn: Connection) -> int:
    return int(scalar(conn, "SELECT COUNT(*) FROM users"))


def first_admin(conn: Connection) -> User | None:
    return _user(one(conn, USER_SQL + "WHERE u.is_admin = 1 ORDER BY u.pk LIMIT 1"))


def require_team(conn: Connection, name: str) -> int:
    found = entity(conn, name)
    if found is None or found["kind"] != "team":
        raise not_found(f"Team '{name}' does not exist; create it first (nbtrack admin team).")
    return int(found["pk"])


def set_member(conn: Connection, team: str, username: str, role: str) -> None:
    if role not in ROLES:
        raise invalid(f"role={role!r} is not a role; use one of {', '.join(ROLES)}.")
    team_pk = require_team(conn, team)
    user = require_user(conn, username)
    params = {"t": team_pk, "u": user.pk, "r": role}
    run(
        conn,
        "INSERT INTO members (team_pk, user_pk, role) VALUES (:t, :u, :r) "
        "ON CONFLICT (team_pk, user_pk) DO UPDATE SET role = excluded.role",
        params,
    )


def remove_member(conn: Connection, team: str, username: str) -> bool:
    team_pk = require_team(conn, team)
    user = require_user(conn, username)
    result = run(
        conn,
        "DELETE FROM members WHERE team_pk = :t AND user_pk = :u",
        {"t": team_pk, "u": user.pk},
    )
    return bool(result.rowcount)


def teams_of(conn: Connection, user_pk: int) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT e.name, m.role FROM members m JOIN entities e ON e.pk = m.team_pk "
        "WHERE m.user_pk = :u ORDER BY e.name",
        {"u": user_pk},
    )


def role_in(conn: Connection, user: User, entity_row: dict[str, Any]) -> str | None:
    """The user's role in an entity: admin of their own; their team role; None otherwise."""
    if user.is_admin or user.entity_pk == entity_row["pk"]:
        return "admin"
    if entity_row["kind"] != "team":
        return None
    role: str | None = scalar(
        conn,
        "SELECT role FROM members WHERE team_pk = :t AND user_pk = :u",
        {"t": entity_row["pk"], "u": user.pk},
    )
    return role


def create_key(
    conn: Connection, user: User, label: str | None = None, key: str | None = None
) -> tuple[int, str]:
    """A new key for the user: answers (key id, the key itself, shown only now)."""
    key = key or new_key()
    if not KEY_PATTERN.match(key):
        raise invalid("An API key must be 'nbt_' followed by 40 letters, digits, '_' or '-'.")
    if scalar(conn, "SELECT COUNT(*) FROM api_keys WHERE key_hash = :h", {"h": hash_key(key)}):
        raise conflict("This API key is already registered; generate a new one.")
    key_id: int = scalar(
        conn,
        "INSERT INTO api_keys (user_pk, key_hash, prefix, label, created_at) "
        "VALUES (:u, :h, :p, :l, :t) RETURNING pk",
        {"u": user.pk, "h": hash_key(key), "p": key[:8], "l": label, "t": time.time()},
    )
    return key_id, key


def list_keys(conn: Connection, user: User) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT pk AS id, prefix, label, created_at, revoked_at FROM api_keys "
        "WHERE user_pk = :u ORDER BY pk",
        {"u": user.pk},
    )


def key_owner(conn: Connection, key_id: int) -> int | None:
    owner = scalar(conn, "SELECT user_pk FROM api_keys WHERE pk = :k", {"k": key_id})
    return int(owner) if owner is not None else None


def revoke_key(conn: Connection, key_id: int) -> None:
    result = run(
        conn,
        "UPDATE api_keys SET revoked_at = :t WHERE pk = :k AND revoked_at IS NULL",
        {"t": time.time(), "k": key_id},
    )
    if not result.rowcount and key_owner(conn, key_id) is None:
        raise not_found(f"API key {key_id} does not exist; list keys with nbtrack admin keys.")
    run(conn, "DELETE FROM web_sessions WHERE key_pk = :k", {"k": key_id})  # its web logins end


def ensure_key(conn: Connection, user: User, key: str) -> None:
    """Register ``key`` for ``user`` unless the server already knows it (for --admin-key)."""
    found = one(conn, "SELECT user_pk FROM api_keys WHERE key_hash = :h", {"h": hash_key(key)})
    if found is None:
        create_key(conn, user, label="admin key", key=key)
    elif int(found["user_pk"]) != user.pk:
        raise ApiError(409, "conflict", "The admin key belongs to another user.")
