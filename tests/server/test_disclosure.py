"""What a public project shows outsiders: no machine details (working directory, host, user,
notebook location, absolute paths) in the run page, the run table or the JSON API; members see all.
"""

from __future__ import annotations

import httpx

from tests.server.support import Server
from tests.server.test_webui import log_in

SECRETS = {
    "cwd": "/home/wkq-owner/private-work",
    "host": "wkq-build-host-7",
    "user": "wkq-owner",
    "executable": "/opt/wkq-python/bin/python3",
    "program": "/home/wkq-owner/private-work/train.py",
}
NOTEBOOK = {
    "path": "/srv/wkq-notebooks/exp/train.ipynb",
    "repo_root": "/srv/wkq-repo-root",
    "repo_path": "exp/train.ipynb",
    "name": "train.ipynb",
    "source": "jupyterlab",
}
METADATA = SECRETS | {
    "python": "3.11.4",
    "notebook": NOTEBOOK,
    "extra": {"data_dir": "/mnt/wkq-datasets/imagenet", "paths": ["C:\\Users\\wkq\\x", "ok.txt"]},
}
# older clients and importers name the notebook with a plain string
FLAT = {"notebook": "/srv/wkq-notebooks/flat.ipynb", "notebookPath": "/srv/wkq-notebooks/b.ipynb"}
HIDDEN = [
    "/srv/wkq-notebooks",
    *SECRETS.values(),
    NOTEBOOK["path"],
    NOTEBOOK["repo_root"],
    "/mnt/wkq-datasets",
    "C:\\\\Users",  # as JSON escapes it
    "C:\\Users",
    "wkq-owner",
    "wkq-build-host",
]


def responses(client: httpx.Client, owner: str, project: str, key: str | None) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    paths = [
        f"/api/v1/runs/{owner}/{project}/r",
        f"/api/v1/projects/{owner}/{project}/runs",
        f"/{owner}/{project}/runs/r",
        f"/api/v1/runs/{owner}/{project}/flat",
        f"/{owner}/{project}/runs/flat",
        f"/{owner}/{project}",
    ]
    texts = []
    for path in paths:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        texts.append(answer.text)
    return texts


def test_public_runs_hide_machine_details_from_outsiders(server: Server, uid: str) -> None:
    owner, owner_key = server.new_user()
    _, other_key = server.new_user()
    project = f"pub{uid}"
    server.ok("PUT", f"/runs/{owner}/{project}/r", owner_key, json={"metadata": METADATA})
    server.ok("PUT", f"/runs/{owner}/{project}/flat", owner_key, json={"metadata": FLAT})
    server.ok("PATCH", f"/projects/{owner}/{project}", owner_key, json={"visibility": "public"})
    with server.new_client() as client:
        for key in (None, other_key):
            for text in responses(client, owner, project, key):
                assert not [s for s in HIDDEN if s in text], text
        seen = server.ok("GET", f"/runs/{owner}/{project}/r", other_key)["metadata"]
        assert seen["python"] == "3.11.4" and seen["extra"] == {"paths": ["ok.txt"]}
        assert seen["notebook"] == {
            "repo_path": "exp/train.ipynb",
            "name": "train.ipynb",
            "source": "jupyterlab",
        }
    assert server.ok("GET", f"/runs/{owner}/{project}/r", owner_key)["metadata"] == METADATA
    with server.new_client() as member:
        log_in(member, owner_key)
        assert member.get(f"/{owner}/{project}/runs/r").status_code == 200
