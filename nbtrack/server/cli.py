"""``nbtrack server``: migrate the database, create the admin on first start, serve with uvicorn."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; use 1-65535.")
    return port


def add_storage_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` and ``--database-url``: where a server (and ``nbtrack admin``) keeps data."""
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("NBTRACK_DATA_DIR", "./nbtrack-data"),
        help="SQLite database and run files (default ./nbtrack-data, env NBTRACK_DATA_DIR)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("NBTRACK_DATABASE_URL"),
        help="e.g. postgresql+psycopg://user@host/db (default: SQLite in the data dir)",
    )
    parser.add_argument(
        "--storage-url",
        default=os.environ.get("NBTRACK_STORAGE_URL"),
        help="run files, media and artifacts: a directory or s3://bucket/prefix "
        "(default: the data dir; env NBTRACK_STORAGE_URL; s3 needs pip install 'nbtrack[s3]')",
    )
    parser.add_argument(
        "--storage-endpoint-url",
        default=os.environ.get("NBTRACK_STORAGE_ENDPOINT_URL"),
        help="endpoint of an S3-compatible store, e.g. http://minio:9000 "
        "(env NBTRACK_STORAGE_ENDPOINT_URL; credentials and region as boto3 finds them)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8642, help="port (default 8642)")
    add_storage_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--admin-user", default="admin", help="admin created on first start")
    parser.add_argument(
        "--admin-key",
        default=env("NBTRACK_ADMIN_KEY"),
        help="API key of the admin (env NBTRACK_ADMIN_KEY; default: generated)",
    )
    parser.add_argument("--base-url", default=None, help="public URL of the server, for run links")
    parser.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=120.0,
        help="seconds without heartbeat before a running run shows crashed",
    )
    parser.add_argument("--max-body-mb", type=float, default=32.0, help="request size limit")
    parser.add_argument("--max-file-mb", type=float, default=256.0, help="file size limit")
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the login cookie Secure (when served over HTTPS)",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")


def run(args: argparse.Namespace) -> int:
    from nbtrack.server import bootstrap, migrations
    from nbtrack.server.config import ENV_CONFIG, MIB, ServerConfig
    from nbtrack.server.database import Database

    config = ServerConfig(
        data_dir=args.data_dir,
        database_url=args.database_url,
        host=args.host,
        port=args.port,
        base_url=args.base_url,
        heartbeat_timeout=args.heartbeat_timeout,
        max_body=int(args.max_body_mb * MIB),
        max_file=int(args.max_file_mb * MIB),
        secure_cookies=args.secure_cookies,
        storage_url=args.storage_url,
        storage_endpoint_url=args.storage_endpoint_url,
    )
    busy = _address_in_use(args.host, args.port)
    if busy:  # before the first start stores a key for an address another server answers on
        print(f"nbtrack server: cannot start: {busy}", file=sys.stderr)
        return 1
    try:
        db = Database(config.database)
        migrations.upgrade(db)
        started = bootstrap.first_start(db, args.host, args.port, args.admin_user, args.admin_key)
        db.dispose()
        check_storage(config)
    except Exception as exc:  # a clear message instead of a traceback
        print(f"nbtrack server: cannot start: {exc}", file=sys.stderr)
        return 1
    _announce(started, bootstrap.local_url(args.host, args.port))
    os.environ[ENV_CONFIG] = config.to_env()
    return _serve(args)


def check_storage(config: object) -> None:
    """Open the store once at start: a bad URL, a missing extra or bucket fails here, clearly."""
    from nbtrack.server.config import ServerConfig
    from nbtrack.server.storage import open_storage

    assert isinstance(config, ServerConfig)
    store = open_storage(config.storage_url, Path(config.data_dir), config.storage_endpoint_url)
    check = getattr(store, "check", None)
    if check is not None:
        check()


def _address_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served (in use, or not an address here), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{host!r} is not an address this machine can serve on ({exc})."
    family, kind, _, _, address = infos[0]
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"{host}:{port} is not free ({exc.strerror}); stop what uses it, or pass --port."
    return None


def _announce(started: object, url: str) -> None:
    from nbtrack.server.bootstrap import Bootstrap

    assert isinstance(started, Bootstrap)
    if started.api_key:
        print(f"Created admin user '{started.username}'. Its API key (shown only now):")
        print(f"    {started.api_key}")
        if started.stored_for:
            print(f"Saved for {started.stored_for} in your nbtrack credentials.")
    print(f"nbtrack server on {url} (API: {url}/api/v1)", flush=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "nbtrack.server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0
