"""Who is asking: an API key in ``Authorization: Bearer``, or a web session cookie (reads only).

A header with an unknown or revoked key is refused (401), never treated as anonymous. Session
tokens are random, stored hashed, and end at logout, after ``SESSION_SECONDS``, or when the API
key they were made with is revoked (checked on every request). Team roles are read per request,
so a user removed from a team loses it in every session at once.
"""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Connection
from starlette.requests import Request

from nbtrack.server.accounts import store
from nbtrack.server.accounts.access import ANONYMOUS, Viewer
from nbtrack.server.database import Database, one, run
from nbtrack.server.problems import not_logged_in

SESSION_COOKIE = "nbtrack_session"
SESSION_SECONDS = 14 * 24 * 3600
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def viewer_of(request: Request, db: Database) -> Viewer:
    header = request.headers.get("authorization")
    if header is not None:
        return Viewer(_key_user(db, header))
    token = request.cookies.get(SESSION_COOKIE)
    if token and request.method in SAFE_METHODS:
        with db.read() as conn:
            user = session_user(conn, token)
        return Viewer(user) if user else ANONYMOUS
    return ANONYMOUS


def _key_user(db: Database, header: str) -> store.User:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise not_logged_in("The Authorization header must be 'Bearer <API key>'")
    with db.read() as conn:
        user = store.user_by_key(conn, key.strip())
    if user is None:
        raise not_logged_in("The API key is unknown or has been revoked")
    return user


def start_session(conn: Connection, key: str) -> str | None:
    """A new session token for the owner of an active API key (None for any other key)."""
    found = store.key_user(conn, key)
    if found is None:
        return None
    key_pk, user = found
    token = secrets.token_urlsafe(32)
    now = time.time()
    run(conn, "DELETE FROM web_sessions WHERE expires_at < :t", {"t": now})
    run(
        conn,
        "INSERT INTO web_sessions (token_hash, user_pk, key_pk, created_at, expires_at) "
        "VALUES (:h, :u, :k, :t, :e)",
        {
            "h": store.hash_key(token),
            "u": user.pk,
            "k": key_pk,
            "t": now,
            "e": now + SESSION_SECONDS,
        },
    )
    return token


def session_user(conn: Connection, token: str) -> store.User | None:
    found = one(
        conn,
        "SELECT s.user_pk FROM web_sessions s JOIN api_keys k ON k.pk = s.key_pk "
        "WHERE s.token_hash = :h AND s.expires_at > :t AND k.revoked_at IS NULL",
        {"h": store.hash_key(token), "t": time.time()},
    )
    return store.user_by_pk(conn, int(found["user_pk"])) if found else None


def end_session(conn: Connection, token: str) -> None:
    run(conn, "DELETE FROM web_sessions WHERE token_hash = :h", {"h": store.hash_key(token)})
