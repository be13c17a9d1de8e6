"""What a signed-in reader receives is never stored by a shared cache (a proxy or CDN in front of
the server): pages, API answers and run files asked for with a session cookie are marked private.
(A shared cache never stores an answer to a request with an Authorization header.)"""

from __future__ import annotations

import httpx

from tests.server.support import Server
from tests.server.test_webui import log_in


def _private(headers: httpx.Headers) -> bool:
    value = headers.get("cache-control", "").lower()
    return "private" in value or "no-store" in value


def test_answers_to_signed_in_readers_are_private(server: Server, uid: str) -> None:
    owner, key = server.new_user()
    run = f"/runs/{owner}/p{uid}/r"
    server.ok("PUT", run, key, json={})
    server.ok("PUT", f"{run}/files/notes.txt", key, content=b"secret notes")
    with server.new_client() as client:
        log_in(client, key)
        pages = (f"/{owner}/p{uid}/runs/r", f"/{owner}/p{uid}/workspace")
        for path in (*pages, f"/api/v1{run}", f"/api/v1{run}/files/notes.txt"):
            answer = client.get(path)
            assert answer.status_code == 200 and _private(answer.headers), (path, answer.headers)
