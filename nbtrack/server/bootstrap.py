"""First start: on an empty database, create the admin user and an API key; print the key once and,
when the server is bound to a loopback address, save it in the local user's credentials so that
``nbtrack.init()`` on this machine works without ``nbtrack login``.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from nbtrack import credentials
from nbtrack.server.accounts import store as accounts
from nbtrack.server.database import Database


@dataclasses.dataclass(frozen=True)
class Bootstrap:
    username: str
    api_key: str | None  # set when a key was created now (shown once)
    stored_for: str | None  # the base URL the key was saved for


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def ensure_admin(db: Database, username: str, admin_key: str | None) -> tuple[str, str | None]:
    """The admin's name, and the key when one was created now."""
    with db.write() as conn:
        if db.dialect.name == "postgresql":  # several servers may start at once
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(864202)")
        if accounts.user_count(conn) == 0:
            user = accounts.create_user(conn, username, is_admin=True)
            _, key = accounts.create_key(conn, user, label="admin key", key=admin_key)
            return user.name, key
        admin = accounts.first_admin(conn)
        if admin is None:
            return username, None
        if admin_key:
            accounts.ensure_key(conn, admin, admin_key)
        return admin.name, None


def first_start(
    db: Database, host: str, port: int, username: str = "admin", admin_key: str | None = None
) -> Bootstrap:
    name, key = ensure_admin(db, username, admin_key)
    stored = None
    if key is not None and is_loopback(host):
        stored = local_url(host, port)
        for url in credentials.twins(stored):
            credentials.store(url, key, name)
    return Bootstrap(name, key, stored)
