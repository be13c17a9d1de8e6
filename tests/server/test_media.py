"""Media over the HTTP API, on SQLite and PostgreSQL, in-process and on a real uvicorn: a run's
media keys, a key's steps, the reference at a step, histograms, table pages, the files served
inline and typed, and hostile stored references that never make the server fail nor become links.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from tests.server.support import Server

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)

BOXES = {"p": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5, "minY": 0, "maxY": 1}}]}}


def upload(server: Server, key: str, run: str, content: bytes, ext: str) -> str:
    """Put a content-addressed media file; answer its name."""
    name = f"media/{hashlib.sha256(content).hexdigest()}.{ext}"
    server.ok("PUT", f"{run}/files/{name}", key, content=content)
    return name


def image(name: str, caption: str) -> dict[str, Any]:
    sha = name.split("/")[1].split(".")[0]
    return {"_type": "image-file", "path": name, "sha256": sha, "format": "png", "caption": caption}


def history(server: Server, key: str, run: str, rows: list[dict[str, Any]]) -> None:
    records = [{"offset": i, "step": row["_step"], "data": row} for i, row in enumerate(rows)]
    server.ok("POST", f"{run}/history", key, json={"records": records})


def logged_run(server: Server, uid: str) -> tuple[str, str, list[str]]:
    """A run with an image at steps 0, 2, 4 (distinct files), a histogram and a scalar per step."""
    name, key = server.new_user()
    run = f"/runs/{name}/m{uid}/r1"
    server.ok("PUT", run, key, json={"state": "running"})
    files = [upload(server, key, run, PNG + bytes([i]), "png") for i in range(3)]
    rows: list[dict[str, Any]] = []
    for step in range(5):
        row: dict[str, Any] = {"_step": step, "loss": 1 / (step + 1)}
        row["hist"] = {"_type": "histogram", "bins": [0, 1, 2, 3], "values": [step, 1, 2]}
        if step % 2 == 0:
            row["pred"] = image(files[step // 2], f"step {step}") | {"boxes": BOXES}
        rows.append(row)
    history(server, key, run, rows)
    return run, key, files


def test_media_keys_steps_and_the_reference_at_a_step(server: Server, uid: str) -> None:
    run, key, files = logged_run(server, uid)
    keys = server.ok("GET", f"{run}/media", key)["keys"]
    assert keys == [
        {"key": "hist", "type": "histogram", "count": 5, "first_step": 0, "last_step": 4},
        {"key": "pred", "type": "image-file", "count": 3, "first_step": 0, "last_step": 4},
    ]
    steps = server.ok("GET", f"{run}/media/steps", key, params={"key": "pred"})
    assert steps == {"key": "pred", "type": "image-file", "steps": [0, 2, 4]}
    at = server.ok("GET", f"{run}/media/at", key, params={"key": "pred", "step": 3})
    assert at["step"] == 2 and at["ref"]["caption"] == "step 2"
    assert at["ref"]["boxes"] == BOXES  # nested parts of a reference reach the page whole
    assert at["ref"]["url"].endswith(f"/files/{files[1]}") and at["ref"]["problem"] is None
    latest = server.ok("GET", f"{run}/media/at", key, params={"key": "pred"})
    assert latest["step"] == 4 and latest["ref"]["path"] == files[2]
    served = server.client.get(at["ref"]["url"], headers={"Authorization": f"Bearer {key}"})
    assert served.status_code == 200 and served.content == PNG + bytes([1])
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "attachment" not in served.headers.get("content-disposition", "")


def test_histograms_over_steps_and_missing_keys(server: Server, uid: str) -> None:
    run, key, _ = logged_run(server, uid)
    found = server.ok("GET", f"{run}/media/histograms", key, params={"key": "hist", "samples": 3})
    assert found["steps"] == [0, 2, 4]
    assert found["histograms"][1] == {"bins": [0, 1, 2, 3], "values": [2, 1, 2]}
    for route, params in (("steps", {"key": "nope"}), ("at", {"key": "pred", "step": -1})):
        answer = server.request("GET", f"{run}/media/{route}", key, params=params)
        assert answer.status_code == 404 and "No media under key" in answer.text


def table_run(server: Server, uid: str, rows: int) -> tuple[str, str, str]:
    name, key = server.new_user()
    run = f"/runs/{name}/t{uid}/r1"
    server.ok("PUT", run, key, json={})
    picture = upload(server, key, run, PNG, "png")
    data = [
        [i, f"item-{i:05d}", (i * 37) % 101 / 100, image(picture, f"c{i}")] for i in range(rows)
    ]
    document = {"columns": ["id", "name", "score", "img"], "data": data}
    document["types"] = ["number", "string", "number", "image-file"]
    table = upload(server, key, run, json.dumps(document).encode(), "table.json")
    ref = {"_type": "table-file", "path": table, "nrows": rows, "ncols": 4, "format": "table.json"}
    history(server, key, run, [{"_step": 0, "preds": ref}])
    return run, key, picture


def test_table_pages_are_sorted_filtered_and_paged_by_the_server(server: Server, uid: str) -> None:
    run, key, picture = table_run(server, uid, 1000)
    params: dict[str, Any] = {"key": "preds", "sort": "score", "order": "desc", "limit": 5}
    page = server.ok("GET", f"{run}/media/table", key, params=params)
    assert page["total"] == page["nrows"] == 1000 and len(page["rows"]) == 5
    scores = [row[2] for row in page["rows"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    assert page["rows"][0][3]["url"].endswith(picture)
    params = {"key": "preds", "q": "ITEM-0099", "offset": 0}
    page = server.ok("GET", f"{run}/media/table", key, params=params)
    assert page["total"] == 10 and page["rows"][0][1] == "item-00990"
    page = server.ok("GET", f"{run}/media/table", key, params={"key": "preds", "offset": 995})
    assert [row[0] for row in page["rows"]] == [995, 996, 997, 998, 999]
    bad = server.request("GET", f"{run}/media/table", key, params={"key": "preds", "sort": "zz"})
    assert bad.status_code == 400 and "'zz' is not a column" in bad.text


def test_hostile_references_never_fail_and_never_link(server: Server, uid: str) -> None:
    name, key = server.new_user()
    run = f"/runs/{name}/h{uid}/r1"
    server.ok("PUT", run, key, json={})
    page = b"<html><body><script>parent.document.title='owned'</script>hi</body></html>"
    html = upload(server, key, run, page, "html")
    broken = upload(server, key, run, b"{not json", "table.json")
    missing = "media/" + "0" * 64 + ".png"
    rows = [
        {"_step": 0, "a": image("../../etc/passwd", "x"), "b": image("media/../diff.patch", "y")},
        {"_step": 1, "a": image(missing, "gone"), "page": {"_type": "html-file", "path": html}},
        {"_step": 2, "t": {"_type": "table-file", "path": broken}, "u": {"_type": "table-file"}},
        {"_step": 3, "g": {"_type": "images/separated", "items": [image("/etc/hosts", "z"), 5]}},
        {"_step": 4, "h": {"_type": "histogram", "bins": "x", "values": None}},
    ]
    history(server, key, run, rows)
    for media_key, step in (("a", 0), ("b", 0), ("a", 1), ("g", 3)):
        ref = server.ok("GET", f"{run}/media/at", key, params={"key": media_key, "step": step})
        shown = ref["ref"]["items"][0] if media_key == "g" else ref["ref"]
        assert shown["url"] is None and shown["problem"], shown
    assert (
        "missing" in server.ok("GET", f"{run}/media/at", key, params={"key": "a"})["ref"]["problem"]
    )
    assert server.ok("GET", f"{run}/media/histograms", key, params={"key": "h"})["steps"] == []
    table = server.request("GET", f"{run}/media/table", key, params={"key": "t"})
    assert table.status_code == 422 and "is not a table" in table.text
    assert server.request("GET", f"{run}/media/table", key, params={"key": "u"}).status_code == 404
    assert server.request("GET", f"{run}/media/table", key, params={"key": "a"}).status_code == 404
    served = server.request("GET", f"{run}/files/{html}", key)
    policy = served.headers["content-security-policy"]
    assert served.headers["content-type"].startswith("text/html")
    assert policy.startswith("sandbox;") and "script-src" not in policy and "allow-" not in policy
    assert "frame-ancestors 'self'" in policy and served.headers["x-frame-options"] == "SAMEORIGIN"


def test_private_media_looks_missing_and_public_media_is_readable(server: Server, uid: str) -> None:
    run, key, files = logged_run(server, uid)
    owner, project = run.split("/")[2:4]
    for path in (f"{run}/media", f"{run}/media/at?key=pred", f"{run}/files/{quote(files[0])}"):
        assert server.request("GET", path).status_code == 404
        _, stranger = server.new_user()
        assert server.request("GET", path, stranger).status_code == 404
    server.ok("PATCH", f"/projects/{owner}/{project}", key, json={"visibility": "public"})
    assert len(server.ok("GET", f"{run}/media")["keys"]) == 2
    assert server.ok("GET", f"{run}/media/at", params={"key": "pred"})["ref"]["url"]


def test_a_rewind_drops_the_media_past_its_offset(server: Server, uid: str) -> None:
    run, key, _ = logged_run(server, uid)
    server.ok("POST", f"{run}/rewind", key, json={"offset": 3})  # steps 0..2 stay
    steps = server.ok("GET", f"{run}/media/steps", key, params={"key": "pred"})["steps"]
    assert steps == [0, 2]


def test_the_comparison_page_shows_a_key_across_chosen_runs(server: Server, uid: str) -> None:
    run, key, _ = logged_run(server, uid)
    owner, project = run.split("/")[2:4]
    page = f"/{owner}/{project}/media"
    auth = {"Authorization": f"Bearer {key}"}
    shown = server.client.get(page, params={"key": "pred", "run": ["r1", "zz"]}, headers=auth)
    assert shown.status_code == 200 and 'data-run="r1"' in shown.text
    assert 'data-type="image-file"' in shown.text and '<option value="hist"' in shown.text
    none = server.client.get(page, params={"key": "nope", "run": "r1"}, headers=auth)
    assert 'id="no-columns"' in none.text
    hidden = server.client.get(page, params={"key": "pred"}, follow_redirects=False)
    assert hidden.status_code == 303 and hidden.headers["location"].startswith("/login")


def test_the_run_page_counts_media_files_instead_of_listing_them(server: Server, uid: str) -> None:
    run, key, files = logged_run(server, uid)
    owner, project = run.split("/")[2:4]
    page = server.client.get(
        f"/{owner}/{project}/runs/r1", headers={"Authorization": f"Bearer {key}"}
    )
    assert page.status_code == 200 and "3 media files under media/" in page.text
    assert files[0] not in page.text and 'id="media-section"' in page.text


def test_rows_stored_before_the_media_index_are_indexed_on_upgrade(fresh_database: str) -> None:
    from nbtrack.server import migrations
    from nbtrack.server.database import Database, run
    from nbtrack.server.media import store as media
    from tests.server.test_migrations import seed_first_schema

    db = Database(fresh_database)
    migrations.upgrade(db, target=8)
    seed_first_schema(db, "nbt_" + "k" * 40)
    picture = image("media/" + "a" * 64 + ".png", "old")
    with db.write() as conn:
        run(
            conn,
            "INSERT INTO history_rows (run_pk, log_offset, step, data) VALUES (1, :o, :s, :d)",
            [{"o": 100 + i, "s": 100 + i, "d": json.dumps({"pred": picture})} for i in range(3)],
        )
    assert migrations.upgrade(db) == [s.version for s in migrations.STEPS if s.version > 8]
    with db.read() as conn:
        assert media.keys(conn, 1) == [
            {"key": "pred", "type": "image-file", "count": 3, "first_step": 100, "last_step": 102}
        ]
        assert media.at(conn, 1, "pred", 101) == {"step": 101, "ref": picture}
    db.dispose()


def test_an_incremental_table_is_its_increments_up_to_the_step(server: Server, uid: str) -> None:
    name, key = server.new_user()
    run = f"/runs/{name}/i{uid}/r1"
    server.ok("PUT", run, key, json={})
    rows = []
    for part in range(3):
        document = {"columns": ["i"], "data": [[part * 10 + j] for j in range(2)]}
        content = json.dumps(document).encode()
        path = upload(server, key, run, content, "table.json")
        assert upload(server, key, run, content, "table.json") == path  # sent again: one file
        ref = {"_type": "table-file", "path": path, "log_mode": "INCREMENTAL", "increment": part}
        rows.append({"_step": part * 5, "t": ref})
    history(server, key, run, rows)
    page = server.ok("GET", f"{run}/media/table", key, params={"key": "t", "step": 7})
    assert page["step"] == 5 and [r[0] for r in page["rows"]] == [0, 1, 10, 11]
    page = server.ok(
        "GET", f"{run}/media/table", key, params={"key": "t", "sort": "i", "order": "desc"}
    )
    assert [r[0] for r in page["rows"]] == [21, 20, 11, 10, 1, 0]
    assert len(server.ok("GET", f"{run}/files", key)) == 3
