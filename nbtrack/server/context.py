"""What every request handler needs: the settings and the database of this process."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from starlette.requests import Request

from nbtrack.server.config import ServerConfig
from nbtrack.server.database import Database
from nbtrack.server.storage import Storage, open_storage


@dataclasses.dataclass
class Context:
    config: ServerConfig
    db: Database

    @functools.cached_property
    def storage(self) -> Storage:
        """Where run files, media and artifacts live (see nbtrack.server.storage)."""
        config = self.config
        data_dir = Path(config.data_dir).expanduser()
        return open_storage(config.storage_url, data_dir, config.storage_endpoint_url)

    def base_url(self, request: Request) -> str:
        """Where the web UI lives: --base-url when set, else the URL the request came to."""
        if self.config.base_url:
            return self.config.base_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def context_of(request: Request) -> Context:
    found: Context = request.app.state.context
    return found
