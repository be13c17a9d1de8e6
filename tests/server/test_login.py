"""Opening a page that needs a login, without one: the run link goes to the login form with
``next=`` and back to the run after logging in; ``next`` only ever leads to a path on this site;
once logged in, a private project still looks exactly like a missing one.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.server.support import Server
from tests.server.test_webui import log_in

OUTSIDE = [
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "/\t/evil.example",
    "/\r\nSet-Cookie: x=1",
    "javascript:alert(1)",
    " /x",
    "x/y",
    "",
]


def login_link(path: str) -> str:
    return "/login?next=" + quote(path, safe="")


def test_a_run_link_without_login_leads_to_the_login_form_and_back(
    server: Server, uid: str
) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={"name": "secret-run"})
    run_page = f"/{name}/p{uid}/runs/r"
    with server.new_client() as browser:
        for path in (run_page, f"/{name}/p{uid}?sort=name&page=1", f"/{name}/gone{uid}/runs/r"):
            answer = browser.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == login_link(path)
            assert "secret-run" not in answer.text
        form = browser.get(login_link(run_page)).text
        assert f'name="next" value="{run_page}"' in form
        answer = log_in(browser, key, run_page)
        assert answer.status_code == 303 and answer.headers["location"] == run_page
        assert "secret-run" in browser.get(run_page).text


def test_a_public_project_needs_no_login_and_a_missing_entity_is_a_404(
    server: Server, uid: str
) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={"name": "open-run"})
    server.ok("PATCH", f"/projects/{name}/p{uid}", key, json={"visibility": "public"})
    with server.new_client() as browser:
        assert "open-run" in browser.get(f"/{name}/p{uid}/runs/r").text
        assert browser.get(f"/ghost{uid}/p/runs/r", follow_redirects=False).status_code == 404


@pytest.mark.parametrize("target", OUTSIDE)
def test_next_never_leads_off_the_site(server: Server, target: str) -> None:
    _, key = server.new_user()
    with server.new_client() as browser:
        form = browser.get("/login", params={"next": target}).text
        assert re.search(r'name="next" value="/"', form), form
        answer = log_in(browser, key, target)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_logged_in_a_private_project_looks_like_a_missing_one(server: Server, uid: str) -> None:
    owner, owner_key = server.new_user()
    _, other_key = server.new_user()
    server.ok("PUT", f"/runs/{owner}/secret{uid}/r", owner_key, json={"name": "hidden"})
    with server.new_client() as other:
        log_in(other, other_key)
        for suffix in ("", "/runs/r"):
            private = other.get(f"/{owner}/secret{uid}{suffix}", follow_redirects=False)
            missing = other.get(f"/{owner}/nothing{uid}{suffix}", follow_redirects=False)
            assert private.status_code == missing.status_code == 404
            masked = private.text.replace(f"secret{uid}", "X")
            assert masked == missing.text.replace(f"nothing{uid}", "X")


def test_an_entity_page_without_visible_projects_hints_to_log_in(server: Server, uid: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={})
    hint = re.compile(r'class="empty">[^<]*<a href="' + re.escape(login_link(f"/{name}")) + '">')
    with server.new_client() as browser:
        page = browser.get(f"/{name}").text
        assert "No projects you can see" in page and hint.search(page), page
        log_in(browser, key)
        assert f"p{uid}" in browser.get(f"/{name}").text
    _, empty_key = server.new_user()
    with server.new_client() as other:
        log_in(other, empty_key)
        page = other.get(f"/{name}").text
        assert "No projects you can see" in page and not hint.search(page)
