"""The web UI over HTTP: login cookie, CSRF, escaping of every user-supplied string, members-only
git. The browser test (real uvicorn, headless Chromium) is in test_browser.py.
"""

from __future__ import annotations

import re

import httpx

from tests.server.support import Server

EVIL = "<script>alert(1)</script>"


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def log_in(client: httpx.Client, key: str, next_page: str = "/") -> httpx.Response:
    token = csrf_of(client)
    return client.post(
        "/login", data={"csrf": token, "api_key": key, "next": next_page}, follow_redirects=False
    )


def test_login_sets_an_httponly_samesite_cookie_and_logout_ends_it(server: Server) -> None:
    name, key = server.new_user()
    with server.new_client() as client:
        answer = log_in(client, key, f"/{name}")
        assert answer.status_code == 303 and answer.headers["location"] == f"/{name}"
        cookie = answer.headers["set-cookie"].lower()
        assert "nbtrack_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        home = client.get("/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == f"/{name}"
        assert client.get("/api/v1/viewer").json()["username"] == name  # reads: yes
        assert client.put(f"/api/v1/runs/{name}/p/r", json={}).status_code == 401  # writes: no
        token = csrf_of(client)
        assert (
            client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
        )
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_bad_key_shows_the_login_form_again(server: Server) -> None:
    with server.new_client() as client:
        answer = log_in(client, "nbt_" + "z" * 40)
        assert answer.status_code == 401 and "unknown or revoked" in answer.text


def test_forms_without_the_csrf_token_or_from_another_site_are_refused(server: Server) -> None:
    _, key = server.new_user()
    with server.new_client() as client:
        assert client.post("/login", data={"api_key": key}).status_code == 403
        token = csrf_of(client)
        foreign = client.post(
            "/login",
            data={"csrf": token, "api_key": key},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        assert client.post("/logout", data={"csrf": "wrong"}).status_code == 403


def test_every_user_supplied_string_is_escaped(server: Server, uid: str) -> None:
    name, key = server.new_user()
    run = f"/runs/{name}/p{uid}/r1"
    server.ok(
        "PUT",
        run,
        key,
        json={
            "name": EVIL,
            "tags": [EVIL],
            "notes": EVIL,
            "config": {EVIL: EVIL},
            "summary": {"acc": 0.5, EVIL: 1.0},
            "group": EVIL,
            "git": {"remote": "javascript:alert(1)", "commit": EVIL, "diff": f"+{EVIL}\n"},
            "metadata": {"command": EVIL},
        },
    )
    server.ok("PUT", run + "/files/" + "%3Cb%3E.txt", key, content=b"x")
    with server.new_client() as client:
        log_in(client, key)
        for path in (f"/{name}/p{uid}/runs/r1", f"/{name}/p{uid}", f"/{name}"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert EVIL not in page.text and "<b>" not in page.text
        run_page = client.get(f"/{name}/p{uid}/runs/r1").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run_page
        assert "&lt;b&gt;.txt" in run_page and "/files/%3Cb%3E.txt" in run_page
        assert 'href="javascript:' not in run_page
        assert (
            "script-src 'self'"
            in client.get(f"/{name}/p{uid}/runs/r1").headers["content-security-policy"]
        )


def test_run_table_shows_runs_with_state_metrics_and_pages(server: Server, uid: str) -> None:
    name, key = server.new_user()
    for i in range(55):
        server.ok(
            "PUT",
            f"/runs/{name}/p{uid}/r{i:02d}",
            key,
            json={
                "name": f"run-{i:02d}",
                "summary": {"loss": i / 10},
                "tags": ["t"],
                "state": "finished" if i % 2 else "failed",
            },
        )
    with server.new_client() as client:
        log_in(client, key)
        first = client.get(f"/{name}/p{uid}", params={"sort": "name"}).text
        assert "55 runs" in first and "run-00" in first and "run-49" in first
        assert "run-50" not in first and "Page 1 of 2" in first
        assert 'class="state green"' in first and 'class="state red"' in first
        assert ">loss" in first and "0.5" in first
        second = client.get(f"/{name}/p{uid}", params={"sort": "name", "page": 2}).text
        assert "run-54" in second and "run-00" not in second
        best = client.get(f"/{name}/p{uid}", params={"sort": "-summary.loss"}).text
        assert best.index("run-54") < best.index("run-53")


def test_git_and_command_are_shown_to_members_only(server: Server, uid: str) -> None:
    name, key = server.new_user()
    run = f"/runs/{name}/p{uid}/r"
    server.ok(
        "PUT",
        run,
        key,
        json={
            "name": "visible",
            "git": {
                "commit": "c0ffee1234",
                "branch": "main",
                "remote": "git@github.com:me/repo.git",
                "dirty": True,
                "diff": "--- a/x\n+++ b/x\n+added line\n",
            },
            "metadata": {"command": "python secret_cmd.py", "notebook": "nb/train.ipynb"},
        },
    )
    server.ok("PUT", run + "/files/diff.patch", key, content=b"+added line\n")
    server.ok("PUT", run + "/files/output.log", key, content=b"hello\n")
    server.ok("PATCH", f"/projects/{name}/p{uid}", key, json={"visibility": "public"})
    with server.new_client() as anonymous:
        page = anonymous.get(f"/{name}/p{uid}/runs/r").text
        assert "visible" in page and "nb/train.ipynb" in page
        assert "output.log" in page and "diff.patch" not in page
        link = re.search(r'href="([^"]+/files/output.log)"', page)
        assert link is not None and anonymous.get(link.group(1)).content == b"hello\n"
        assert "c0ffee1234" not in page and "secret_cmd" not in page and "added line" not in page
    with server.new_client() as member:
        log_in(member, key)
        page = member.get(f"/{name}/p{uid}/runs/r").text
        assert "c0ffee1234" in page and "secret_cmd" in page and "added line" in page
        assert 'href="https://github.com/me/repo"' in page and "uncommitted" in page


def test_private_run_pages_send_anonymous_users_to_log_in(server: Server, uid: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={"name": "hidden"})
    with server.new_client() as anonymous:
        page = anonymous.get(f"/{name}/p{uid}/runs/r", follow_redirects=False)
        assert page.status_code == 303 and "hidden" not in page.text
        assert page.headers["location"].startswith("/login?next=")
        ghost = anonymous.get(f"/ghost{uid}/p/runs/r", follow_redirects=False)
        assert ghost.status_code == 404 and "text/html" in ghost.headers["content-type"]


def test_entity_page_lists_visible_projects_and_own_teams(server: Server, uid: str) -> None:
    name, key = server.new_user()
    team = server.new_team({name: "member"})
    server.ok("PUT", f"/runs/{team}/p{uid}/r", key, json={})
    with server.new_client() as client:
        log_in(client, key)
        mine = client.get(f"/{name}").text
        assert f'href="/{team}"' in mine and "member" in mine
        assert f"p{uid}" in client.get(f"/{team}").text
    with server.new_client() as anonymous:
        assert f"p{uid}" not in anonymous.get(f"/{team}").text


def test_the_visibility_form_needs_an_entity_admin_and_the_csrf_token(
    server: Server, uid: str
) -> None:
    name, key = server.new_user()
    _, other_key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={})
    form = {"visibility": "public"}
    with server.new_client() as stranger:
        log_in(stranger, other_key)
        denied = stranger.post(
            f"/{name}/p{uid}/visibility", data=form | {"csrf": csrf_of(stranger)}
        )
        assert denied.status_code in (403, 404)
    with server.new_client() as owner:
        log_in(owner, key)
        assert "Make public" in owner.get(f"/{name}/p{uid}").text
        assert owner.post(f"/{name}/p{uid}/visibility", data=form).status_code == 403
        done = owner.post(
            f"/{name}/p{uid}/visibility",
            data=form | {"csrf": csrf_of(owner)},
            follow_redirects=False,
        )
        assert done.status_code == 303
    assert server.ok("GET", f"/projects/{name}/p{uid}")["visibility"] == "public"
