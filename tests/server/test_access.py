"""The permission cases: 401 / 404 entity / 403 project, private == missing, members-only git."""

from __future__ import annotations

from tests.server.support import Server

GIT = {
    "commit": "0123abc",
    "remote": "https://example.com/x.git",
    "branch": "main",
    "dirty": True,
    "diff": "--- a\n+++ b\n",
}
METADATA = {
    "command": "python train.py --secret",
    "args": ["--secret"],
    "python": "3.11",
    "notebook": "nb/train.ipynb",
}


def error(response: object) -> tuple[int, str, str]:
    body = response.json()["error"]  # type: ignore[attr-defined]
    return response.status_code, body["code"], body["message"]  # type: ignore[attr-defined]


def test_not_logged_in_and_bad_keys_answer_401_with_the_fix(server: Server, uid: str) -> None:
    name, _ = server.new_user()
    path = f"/runs/{name}/p{uid}/r"
    status, code, message = error(server.request("PUT", path, json={}))
    assert (status, code) == (401, "not_logged_in") and "nbtrack login" in message
    bad = "nbt_" + "x" * 40
    status, code, message = error(server.request("PUT", path, bad, json={}))
    assert (status, code) == (401, "not_logged_in") and "nbtrack login" in message
    status, _, _ = error(server.request("GET", "/viewer", headers={"Authorization": "Basic abc"}))
    assert status == 401


def test_a_missing_entity_answers_404_naming_it(server: Server, uid: str) -> None:
    _, key = server.new_user()
    status, code, message = error(server.request("PUT", f"/runs/ghost{uid}/p/r", key, json={}))
    assert (status, code) == (404, "entity_not_found") and f"ghost{uid}" in message
    status, code, _ = error(server.request("GET", f"/entities/ghost{uid}/projects"))
    assert (status, code) == (404, "entity_not_found")


def test_no_permission_answers_403_naming_entity_project_and_fix(server: Server, uid: str) -> None:
    owner, owner_key = server.new_user()
    _, other_key = server.new_user()
    server.ok("PUT", f"/runs/{owner}/p{uid}/r", owner_key, json={})
    for project in (f"p{uid}", f"new{uid}"):
        status, code, message = error(
            server.request("PUT", f"/runs/{owner}/{project}/r2", other_key, json={})
        )
        assert (status, code) == (403, "permission_denied")
        assert f"'{owner}/{project}'" in message
        assert "ask" in message and "own entity" in message
    assert (
        error(
            server.request(
                "POST", f"/runs/{owner}/p{uid}/r/history", other_key, json={"records": []}
            )
        )[0]
        == 403
    )


def test_private_projects_answer_non_members_like_missing_ones(server: Server, uid: str) -> None:
    owner, owner_key = server.new_user()
    _, other_key = server.new_user()
    server.ok("PUT", f"/runs/{owner}/secret{uid}/r", owner_key, json={"name": "hidden"})
    for key in (None, other_key):
        for route in (
            "/runs/{}/{}/r",
            "/projects/{}/{}",
            "/projects/{}/{}/runs",
            "/runs/{}/{}/r/history",
            "/runs/{}/{}/r/files",
        ):
            private = error(server.request("GET", route.format(owner, f"secret{uid}"), key))
            missing = error(server.request("GET", route.format(owner, f"nothing{uid}"), key))
            assert private[:2] == missing[:2] == (404, "not_found")
            assert private[2].replace(f"secret{uid}", "X") == missing[2].replace(
                f"nothing{uid}", "X"
            )
    assert server.ok("GET", f"/entities/{owner}/projects", other_key) == []
    assert len(server.ok("GET", f"/entities/{owner}/projects", owner_key)) == 1


def test_public_projects_are_readable_by_anyone_without_git_or_command(
    server: Server, uid: str
) -> None:
    owner, owner_key = server.new_user()
    _, other_key = server.new_user()
    run = f"/runs/{owner}/pub{uid}/r"
    server.ok("PUT", run, owner_key, json={"name": "open", "git": GIT, "metadata": METADATA})
    server.ok("PUT", run + "/files/diff.patch", owner_key, content=b"--- a\n")
    server.ok("PUT", run + "/files/output.log", owner_key, content=b"hello\n")
    server.ok("PATCH", f"/projects/{owner}/pub{uid}", owner_key, json={"visibility": "public"})
    for key in (None, other_key):
        seen = server.ok("GET", run, key)
        assert seen["name"] == "open" and "git" not in seen
        assert seen["metadata"] == {"python": "3.11", "notebook": "nb/train.ipynb"}
        listed = server.ok("GET", f"/projects/{owner}/pub{uid}/runs", key)["runs"][0]
        assert "git" not in listed and "command" not in listed["metadata"]
        assert [f["name"] for f in server.ok("GET", run + "/files", key)] == ["output.log"]
        assert server.request("GET", run + "/files/diff.patch", key).status_code == 404
        assert error(server.request("PUT", run, key, json={"name": "x"}))[0] in (401, 403)
    mine = server.ok("GET", run, owner_key)
    assert mine["git"] == GIT and mine["metadata"]["command"] == METADATA["command"]
    assert server.request("GET", run + "/files/diff.patch", owner_key).content == b"--- a\n"


def test_team_roles_decide_reading_writing_and_admin(server: Server, uid: str) -> None:
    admin, admin_key = server.new_user()
    member, member_key = server.new_user()
    viewer, viewer_key = server.new_user()
    _, outsider_key = server.new_user()
    team = server.new_team({admin: "admin", member: "member", viewer: "viewer"})
    run = f"/runs/{team}/p{uid}/r"
    assert server.ok("PUT", run, member_key, json={"git": GIT})["git"] == GIT
    seen = server.ok("GET", run, viewer_key)
    assert seen["git"] == GIT
    status, code, message = error(server.request("PUT", run, viewer_key, json={}))
    assert (status, code) == (403, "permission_denied") and f"'{team}/p{uid}'" in message
    assert error(server.request("GET", run, outsider_key))[0] == 404
    visibility = {"visibility": "public"}
    assert (
        error(server.request("PATCH", f"/projects/{team}/p{uid}", member_key, json=visibility))[0]
        == 403
    )
    server.ok("PATCH", f"/projects/{team}/p{uid}", admin_key, json=visibility)
    assert "git" not in server.ok("GET", run, outsider_key)
