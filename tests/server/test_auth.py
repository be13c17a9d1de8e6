"""Web sessions follow what they were made with: a revoked key ends them, a user removed from a team
loses the team at once; login forms from an opaque (``null``) origin are refused.
"""

from __future__ import annotations

import httpx

from tests.server.support import Server
from tests.server.test_webui import csrf_of, log_in


def reads_private(client: httpx.Client, entity: str, project: str) -> bool:
    page = client.get(f"/{entity}/{project}/runs/r", follow_redirects=False)
    api = client.get(f"/api/v1/runs/{entity}/{project}/r")
    assert (page.status_code == 200) == (api.status_code == 200), (page.text, api.text)
    return api.status_code == 200 and "secret-run" in page.text


def make_public(client: httpx.Client, entity: str, project: str) -> int:
    form = {"visibility": "public", "csrf": csrf_of(client)}
    return client.post(f"/{entity}/{project}/visibility", data=form).status_code


def test_revoking_the_key_ends_the_sessions_made_with_it(server: Server, uid: str) -> None:
    name, first_key = server.new_user()
    made = server.ok("POST", f"/users/{name}/keys", first_key, json={"label": "browser"})
    server.ok("PUT", f"/runs/{name}/p{uid}/r", first_key, json={"name": "secret-run"})
    with server.new_client() as browser, server.new_client() as other:
        assert log_in(browser, made["api_key"]).status_code == 303
        assert log_in(other, first_key).status_code == 303
        assert reads_private(browser, name, f"p{uid}")
        server.ok("DELETE", f"/keys/{made['id']}", first_key)
        assert not reads_private(browser, name, f"p{uid}")
        assert browser.get("/api/v1/viewer").status_code == 401
        assert make_public(browser, name, f"p{uid}") in (401, 403, 404)
        assert reads_private(other, name, f"p{uid}")  # a session of another key goes on
    assert server.ok("GET", f"/projects/{name}/p{uid}", first_key)["visibility"] == "private"


def test_a_user_removed_from_a_team_loses_it_in_the_session_at_once(
    server: Server, uid: str
) -> None:
    name, key = server.new_user()
    team = server.new_team({name: "admin"})
    server.ok("PUT", f"/runs/{team}/p{uid}/r", key, json={"name": "secret-run"})
    with server.new_client() as browser:
        log_in(browser, key)
        assert reads_private(browser, team, f"p{uid}")
        assert team in browser.get(f"/{name}").text
        server.ok("DELETE", f"/teams/{team}/members/{name}", server.admin_key)
        assert not reads_private(browser, team, f"p{uid}")
        assert browser.get("/api/v1/viewer").json()["teams"] == []
        assert make_public(browser, team, f"p{uid}") in (403, 404)
    assert server.ok("GET", f"/projects/{team}/p{uid}", server.admin_key)["visibility"] == "private"


def test_a_form_post_from_an_opaque_origin_is_refused(server: Server) -> None:
    _, key = server.new_user()
    with server.new_client() as client:
        form = {"csrf": csrf_of(client), "api_key": key}
        answer = client.post("/login", data=form, headers={"Origin": "null"})
        assert answer.status_code == 403 and "nbtrack_session" not in answer.headers.get(
            "set-cookie", ""
        )
        same = client.post("/login", data=form, headers={"Origin": str(client.base_url)})
        assert same.status_code == 303
