"""``nbtrack admin``: manage users, teams, members, API keys, project visibility and webhooks.

Works on the database directly (the server may be running or not), with the same ``--data-dir`` /
``--database-url`` as ``nbtrack server``. Keys are printed once; only their hashes are stored.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nbtrack.server.cli import add_storage_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_storage_arguments(parser)
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    user = sub.add_parser("user", help="create a user and print its first API key")
    user.add_argument("username")
    user.add_argument("--admin", action="store_true", help="make a server admin")
    team = sub.add_parser("team", help="create a team")
    team.add_argument("name")
    member = sub.add_parser("member", help="add a user to a team (or change the role)")
    member.add_argument("team")
    member.add_argument("username")
    member.add_argument("--role", default="member", choices=("admin", "member", "viewer"))
    member.add_argument("--remove", action="store_true", help="remove from the team instead")
    key = sub.add_parser("key", help="create an API key for a user and print it once")
    key.add_argument("username")
    key.add_argument("--label", default=None)
    keys = sub.add_parser("keys", help="list a user's API keys (ids, prefixes, revoked)")
    keys.add_argument("username")
    revoke = sub.add_parser("revoke", help="revoke an API key by its id")
    revoke.add_argument("key_id", type=int)
    visibility = sub.add_parser("visibility", help="make a project public or private")
    visibility.add_argument("project", help="ENTITY/PROJECT")
    visibility.add_argument("visibility", choices=("public", "private"))
    webhook = sub.add_parser("webhook", help="post an entity's run alerts to a URL (Slack-style)")
    webhook.add_argument("entity")
    webhook.add_argument("url", nargs="?", default=None, help='http(s) URL receiving {"text"}')
    webhook.add_argument("--remove", action="store_true", help="stop posting alerts")


def run(args: argparse.Namespace) -> int:
    from nbtrack.server import migrations
    from nbtrack.server.config import ServerConfig
    from nbtrack.server.database import Database
    from nbtrack.server.problems import ApiError

    db = Database(ServerConfig(data_dir=args.data_dir, database_url=args.database_url).database)
    try:
        migrations.upgrade(db)
        with db.write() as conn:
            print(ACTIONS[args.action](conn, args))
    except ApiError as exc:
        print(f"nbtrack admin: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def _user(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    user = store.create_user(conn, args.username, args.admin)
    key_id, key = store.create_key(conn, user, label="first key")
    return f"Created user '{user.name}'. API key {key_id} (shown only now):\n    {key}"


def _team(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    store.create_team(conn, args.name)
    return f"Created team '{args.name}'."


def _member(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    if args.remove:
        store.remove_member(conn, args.team, args.username)
        return f"Removed '{args.username}' from '{args.team}'."
    store.set_member(conn, args.team, args.username, args.role)
    return f"'{args.username}' is {args.role} of '{args.team}'."


def _key(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    key_id, key = store.create_key(conn, store.require_user(conn, args.username), args.label)
    return f"API key {key_id} for '{args.username}' (shown only now):\n    {key}"


def _keys(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    found = store.list_keys(conn, store.require_user(conn, args.username))
    lines = [
        f"{k['id']:>5}  {k['prefix']}...  {'revoked' if k['revoked_at'] else 'active':8}"
        f"  {k['label'] or ''}"
        for k in found
    ]
    return "\n".join(["   id  prefix       state     label", *lines])


def _revoke(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts import store

    store.revoke_key(conn, args.key_id)
    return f"Revoked API key {args.key_id}."


def _visibility(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.database import run
    from nbtrack.server.problems import invalid, not_found

    entity, _, project = args.project.partition("/")
    if not project:
        raise invalid(f"{args.project!r} is not ENTITY/PROJECT.")
    result = run(
        conn,
        "UPDATE projects SET visibility = :v WHERE name = :p AND entity_pk = "
        "(SELECT pk FROM entities WHERE name = :e)",
        {"v": args.visibility, "p": project, "e": entity},
    )
    if not result.rowcount:
        raise not_found(
            f"Project '{args.project}' does not exist: a project is created by the first run "
            "logged to it; log one (or check the spelling), then set its visibility."
        )
    return f"Project '{args.project}' is now {args.visibility}."


def _webhook(conn: Any, args: argparse.Namespace) -> str:
    from nbtrack.server.accounts.access import require_entity
    from nbtrack.server.problems import invalid
    from nbtrack.server.runs import webhooks

    entity = require_entity(conn, args.entity)
    if args.remove:
        webhooks.set_url(conn, entity["pk"], None, False)
        return f"Alerts of '{args.entity}' are no longer posted."
    if not args.url:
        raise invalid("Give the webhook URL (or --remove): nbtrack admin webhook ENTITY URL.")
    webhooks.set_url(conn, entity["pk"], webhooks.check_url(args.url, True), True)
    return f"Alerts of '{args.entity}' are posted to {args.url}."


ACTIONS = {
    "user": _user,
    "team": _team,
    "member": _member,
    "key": _key,
    "keys": _keys,
    "revoke": _revoke,
    "visibility": _visibility,
    "webhook": _webhook,
}
