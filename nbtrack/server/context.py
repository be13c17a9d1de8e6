"""What every request handler needs: the settings and the database of this process."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from nbtrack.server.config import ServerConfig
from nbtrack.server.database import Database


@dataclasses.dataclass
class Context:
    config: ServerConfig
    db: Database

    def base_url(self, request: Request) -> str:
        """Where the web UI lives: --base-url when set, else the URL the request came to."""
        if self.config.base_url:
            return self.config.base_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def context_of(request: Request) -> Context:
    found: Context = request.app.state.context
    return found
