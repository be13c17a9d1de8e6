"""Numbered schema steps. A server started on an older database applies the missing ones, in order,
in one transaction; nothing is dropped. Never edit a released step: add a new one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from sqlalchemy import Connection, inspect

from nbtrack.server.database import Database, Dialect, rows, run

ADVISORY_LOCK = 864_201  # PostgreSQL: one migrating process at a time


@dataclasses.dataclass(frozen=True)
class Step:
    version: int
    name: str
    ddl: tuple[str, ...]
    backfill: Callable[[Connection], None] | None = None


INITIAL = (
    """CREATE TABLE entities (
        pk {pk}, name VARCHAR(64) NOT NULL UNIQUE, kind VARCHAR(8) NOT NULL,
        created_at {double} NOT NULL)""",
    """CREATE TABLE users (
        pk {pk}, entity_pk BIGINT NOT NULL UNIQUE REFERENCES entities(pk),
        is_admin INTEGER NOT NULL DEFAULT 0, created_at {double} NOT NULL)""",
    """CREATE TABLE members (
        team_pk BIGINT NOT NULL REFERENCES entities(pk),
        user_pk BIGINT NOT NULL REFERENCES users(pk),
        role VARCHAR(16) NOT NULL, PRIMARY KEY (team_pk, user_pk))""",
    """CREATE TABLE api_keys (
        pk {pk}, user_pk BIGINT NOT NULL REFERENCES users(pk), key_hash VARCHAR(64) NOT NULL UNIQUE,
        prefix VARCHAR(16) NOT NULL, label TEXT, created_at {double} NOT NULL,
        revoked_at {double})""",
    """CREATE TABLE projects (
        pk {pk}, entity_pk BIGINT NOT NULL REFERENCES entities(pk), name VARCHAR(64) NOT NULL,
        visibility VARCHAR(8) NOT NULL DEFAULT 'private', created_at {double} NOT NULL,
        UNIQUE (entity_pk, name))""",
    """CREATE TABLE runs (
        pk {pk}, project_pk BIGINT NOT NULL REFERENCES projects(pk),
        entity_pk BIGINT NOT NULL REFERENCES entities(pk), run_id VARCHAR(64) NOT NULL,
        name TEXT, state VARCHAR(16) NOT NULL DEFAULT 'running', exit_code BIGINT,
        config TEXT NOT NULL DEFAULT '{{}}', summary TEXT NOT NULL DEFAULT '{{}}',
        tags TEXT NOT NULL DEFAULT '[]', notes TEXT, group_name TEXT, job_type TEXT,
        metadata TEXT NOT NULL DEFAULT '{{}}', git TEXT,
        created_at {double} NOT NULL, updated_at {double} NOT NULL,
        heartbeat_at {double} NOT NULL, runtime {double},
        history_count BIGINT NOT NULL DEFAULT 0, max_offset BIGINT NOT NULL DEFAULT -1,
        last_step BIGINT, UNIQUE (entity_pk, run_id))""",
    "CREATE INDEX runs_project_created ON runs (project_pk, created_at)",
    """CREATE TABLE run_tags (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), tag TEXT NOT NULL,
        PRIMARY KEY (run_pk, tag))""",
    "CREATE INDEX run_tags_tag ON run_tags (tag, run_pk)",
    """CREATE TABLE history_rows (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), log_offset BIGINT NOT NULL,
        step BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_pk, log_offset))""",
    "CREATE INDEX history_rows_step ON history_rows (run_pk, step, log_offset)",
    """CREATE TABLE run_files (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), name TEXT NOT NULL, size BIGINT NOT NULL,
        updated_at {double} NOT NULL, PRIMARY KEY (run_pk, name))""",
)

METRIC_BUCKETS = (
    """CREATE TABLE metric_buckets (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), metric TEXT NOT NULL, level INTEGER NOT NULL,
        bucket BIGINT NOT NULL, n BIGINT NOT NULL,
        min_step BIGINT NOT NULL, min_value {double} NOT NULL,
        max_step BIGINT NOT NULL, max_value {double} NOT NULL,
        PRIMARY KEY (run_pk, metric, level, bucket))""",
    """CREATE TABLE history_keys (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), metric TEXT NOT NULL,
        PRIMARY KEY (run_pk, metric))""",
)

SESSIONS = (
    """CREATE TABLE web_sessions (
        token_hash VARCHAR(64) PRIMARY KEY, user_pk BIGINT NOT NULL REFERENCES users(pk),
        created_at {double} NOT NULL, expires_at {double} NOT NULL)""",
)

ALERTS = (
    """CREATE TABLE alerts (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), log_offset BIGINT NOT NULL,
        title TEXT NOT NULL, body TEXT NOT NULL, level VARCHAR(8) NOT NULL,
        at {double} NOT NULL, received_at {double} NOT NULL, PRIMARY KEY (run_pk, log_offset))""",
    """CREATE TABLE webhooks (
        entity_pk BIGINT PRIMARY KEY REFERENCES entities(pk), url TEXT NOT NULL,
        private_ok INTEGER NOT NULL DEFAULT 0, updated_at {double} NOT NULL)""",
)


SESSION_KEYS = (
    "DELETE FROM web_sessions",  # sessions made before cannot be tied to a key: log in again
    "ALTER TABLE web_sessions ADD COLUMN key_pk BIGINT REFERENCES api_keys(pk)",
    "CREATE INDEX web_sessions_key ON web_sessions (key_pk)",
)


RUN_METRICS = ("ALTER TABLE runs ADD COLUMN metrics TEXT NOT NULL DEFAULT '{{}}'",)

MEDIA_REFS = (
    """CREATE TABLE media_refs (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), media_key TEXT NOT NULL,
        log_offset BIGINT NOT NULL, step BIGINT NOT NULL, kind VARCHAR(32) NOT NULL,
        ref TEXT NOT NULL, PRIMARY KEY (run_pk, media_key, log_offset))""",
    "CREATE INDEX media_refs_step ON media_refs (run_pk, media_key, step)",
)

ARTIFACTS = (
    """CREATE TABLE artifact_blobs (
        entity_pk BIGINT NOT NULL REFERENCES entities(pk), sha256 VARCHAR(64) NOT NULL,
        size BIGINT NOT NULL, created_at {double} NOT NULL, PRIMARY KEY (entity_pk, sha256))""",
    """CREATE TABLE artifacts (
        pk {pk}, project_pk BIGINT NOT NULL REFERENCES projects(pk), name VARCHAR(128) NOT NULL,
        type VARCHAR(128) NOT NULL, created_at {double} NOT NULL, UNIQUE (project_pk, name))""",
    """CREATE TABLE artifact_versions (
        pk {pk}, artifact_pk BIGINT NOT NULL REFERENCES artifacts(pk), version BIGINT NOT NULL,
        digest VARCHAR(64) NOT NULL, size BIGINT NOT NULL, file_count BIGINT NOT NULL,
        description TEXT, metadata TEXT NOT NULL DEFAULT '{{}}',
        producer_pk BIGINT REFERENCES runs(pk),
        created_at {double} NOT NULL, UNIQUE (artifact_pk, version),
        UNIQUE (artifact_pk, digest))""",
    "CREATE INDEX artifact_versions_producer ON artifact_versions (producer_pk)",
    """CREATE TABLE artifact_aliases (
        artifact_pk BIGINT NOT NULL REFERENCES artifacts(pk), alias VARCHAR(128) NOT NULL,
        version_pk BIGINT NOT NULL REFERENCES artifact_versions(pk),
        PRIMARY KEY (artifact_pk, alias))""",
    "CREATE INDEX artifact_aliases_version ON artifact_aliases (version_pk)",
    """CREATE TABLE artifact_entries (
        version_pk BIGINT NOT NULL REFERENCES artifact_versions(pk), path TEXT NOT NULL,
        digest TEXT NOT NULL, size BIGINT, ref TEXT, PRIMARY KEY (version_pk, path))""",
    """CREATE TABLE artifact_usage (
        version_pk BIGINT NOT NULL REFERENCES artifact_versions(pk),
        run_pk BIGINT NOT NULL REFERENCES runs(pk), used_at {double} NOT NULL,
        PRIMARY KEY (version_pk, run_pk))""",
    "CREATE INDEX artifact_usage_run ON artifact_usage (run_pk)",
)


def _names_regardless_of_case(conn: Connection) -> None:
    """A unique index on the lower-cased user/team name. Names that already differ only in case
    are kept (the oldest of each stays in the index, so no new twin of theirs can be made)."""
    twins = rows(
        conn,
        "SELECT e.pk FROM entities e WHERE EXISTS (SELECT 1 FROM entities o "
        "WHERE lower(o.name) = lower(e.name) AND o.pk < e.pk) ORDER BY e.pk",
    )
    kept = ", ".join(str(int(r["pk"])) for r in twins)
    where = f" WHERE pk NOT IN ({kept})" if kept else ""
    run(conn, f"CREATE UNIQUE INDEX entities_name_nocase ON entities (lower(name)){where}")


def _backfill_buckets(conn: Connection) -> None:
    from nbtrack.server.history.store import rebuild_buckets

    rebuild_buckets(conn)


PG_STANDARD_JSON = r"""
CREATE OR REPLACE FUNCTION nbtrack_jsonb(doc text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    RETURN CAST(doc AS jsonb);
EXCEPTION WHEN others THEN
    BEGIN
        RETURN CAST(regexp_replace(
            doc, '([\[:,]\s*)-?(NaN|Infinity)(?=\s*[,\]}])', '\1null', 'g') AS jsonb);
    EXCEPTION WHEN others THEN
        RETURN CAST('{}' AS jsonb);
    END;
END
$f$"""

SYSTEM_METRICS = (
    """CREATE TABLE system_metrics (
        run_pk BIGINT NOT NULL REFERENCES runs(pk), log_offset BIGINT NOT NULL,
        runtime {double} NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_pk, log_offset))""",
)


def _json_function(conn: Connection) -> None:
    """Run filters read config and summary as jsonb, NaN and infinities (kept in text) as null."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(PG_STANDARD_JSON)


def _backfill_media(conn: Connection) -> None:
    from nbtrack.server.media import store as media

    media.backfill(conn)


STEPS: tuple[Step, ...] = (
    Step(1, "initial schema", INITIAL),
    Step(2, "metric buckets for charts", METRIC_BUCKETS, _backfill_buckets),
    Step(3, "web sessions", SESSIONS),
    Step(4, "run alerts and entity webhooks", ALERTS),
    Step(5, "JSON reading for run filters", (), _json_function),
    Step(6, "web sessions end with their API key", SESSION_KEYS),
    Step(7, "user and team names unique regardless of case", (), _names_regardless_of_case),
    Step(8, "runs' metric definitions (define_metric)", RUN_METRICS),
    Step(9, "media references by key and step", MEDIA_REFS, _backfill_media),
    Step(10, "artifacts: versions, aliases, manifest entries, blobs and usage", ARTIFACTS),
    Step(11, "system metrics (CPU, memory, disk, network, GPU samples)", SYSTEM_METRICS),
)
LATEST = STEPS[-1].version


class SchemaTooNew(RuntimeError):
    pass


def upgrade(db: Database, target: int | None = None) -> list[int]:
    """Apply the missing steps up to ``target`` (default: all); answer the versions applied."""
    with db.write() as conn:
        if db.dialect.name == "postgresql":
            run(conn, "SELECT pg_advisory_xact_lock(:k)", {"k": ADVISORY_LOCK})
        run(
            conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            f"name TEXT NOT NULL, applied_at {db.dialect.double} NOT NULL)",
        )
        done = {r["version"] for r in rows(conn, "SELECT version FROM schema_migrations")}
        _refuse_newer(done)
        todo = [s for s in STEPS if s.version not in done and s.version <= (target or LATEST)]
        for step in todo:
            _apply(conn, db.dialect, step)
        return [s.version for s in todo]


def current_version(db: Database) -> int:
    if not inspect(db.engine).has_table("schema_migrations"):
        return 0
    with db.read() as conn:
        found = rows(conn, "SELECT MAX(version) AS v FROM schema_migrations")
    return int(found[0]["v"] or 0)


def _refuse_newer(done: set[int]) -> None:
    if done and max(done) > LATEST:
        raise SchemaTooNew(
            f"The database has schema version {max(done)}, newer than this nbtrack "
            f"(knows up to {LATEST}): upgrade nbtrack."
        )


def _apply(conn: Connection, dialect: Dialect, step: Step) -> None:
    for statement in step.ddl:
        run(conn, statement.format(pk=dialect.pk, blob=dialect.blob, double=dialect.double))
    if step.backfill is not None:
        step.backfill(conn)
    run(
        conn,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
        {"v": step.version, "n": step.name, "t": time.time()},
    )
