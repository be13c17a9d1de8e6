"""The server's settings: one dataclass, passed to worker processes as JSON."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

ENV_CONFIG = "NBTRACK_SERVER_CONFIG"
MIB = 1024 * 1024


@dataclasses.dataclass
class ServerConfig:
    data_dir: str = "./nbtrack-data"
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8642
    base_url: str | None = None
    heartbeat_timeout: float = 120.0
    max_body: int = 32 * MIB
    max_file: int = 256 * MIB
    max_artifact_file: int = 1024 * 1024 * MIB  # one artifact file (streamed, never in memory)
    secure_cookies: bool = False
    storage_url: str | None = None  # run files, media, artifacts (default: the data directory)
    storage_endpoint_url: str | None = None  # an S3-compatible store's endpoint

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: PostgreSQL when given, else SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).expanduser().resolve() / 'nbtrack.db'}"

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> ServerConfig:
        raw = os.environ.get(ENV_CONFIG)
        return cls(**json.loads(raw)) if raw else cls()
