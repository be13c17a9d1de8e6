"""Every HTML page comes with a strict Content-Security-Policy (no inline script or style, nothing
from another origin) and loads nothing from a CDN; the interactive API docs are off, the OpenAPI
schema stays. The browser check (no CSP violation in a real page) is in test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from nbtrack.server.web import ui
from tests.server.support import Server
from tests.server.test_webui import log_in

TEMPLATES = Path(ui.__file__).parents[1] / "templates"
EXTERNAL = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=\"(https?:)?//", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def assert_strict(policy: str) -> None:
    found = directives(policy)
    assert found["default-src"] == ["'none'"], policy
    assert found["script-src"] == ["'self'"] and found["style-src"] == ["'self'"], policy
    assert found["object-src"] == ["'none'"] and found["base-uri"] == ["'none'"], policy
    assert found["frame-ancestors"] == ["'none'"] and found["form-action"] == ["'self'"], policy
    assert "unsafe" not in policy and "http" not in policy, policy


def test_every_html_page_has_a_strict_csp_and_no_cdn(server: Server, uid: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={"name": "run"})
    pages = ["/login", f"/{name}", f"/{name}/p{uid}", f"/{name}/p{uid}/runs/r"]
    pages += [f"/{name}/p{uid}/runs/missing", f"/ghost{uid}", "/static/nothing.css"]
    with server.new_client() as client:
        log_in(client, key)
        for path in pages:
            answer = client.get(path)
            assert answer.headers["content-type"].startswith("text/html"), path
            assert_strict(answer.headers.get("content-security-policy", ""))
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert not EXTERNAL.search(answer.text) and "cdn" not in answer.text, path


def test_interactive_api_docs_are_off_and_the_schema_stays(server: Server) -> None:
    docs = server.client.get("/api/v1/docs")
    assert docs.status_code == 404 and "swagger" not in docs.text.lower()
    schema = server.client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["paths"]


def test_templates_hold_no_inline_script_style_or_handlers() -> None:
    templates = sorted(TEMPLATES.glob("*.html"))
    assert templates, TEMPLATES
    for template in templates:
        text = template.read_text()
        # A JSON data block is never executed; it must be written through the escaping helper.
        code = r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>"
        assert not re.search(code, text), template.name
        for block in re.findall(r"<script type=\"application/json\"[^>]*>(.*?)</script>", text):
            assert block == "{{ data | safe }}", (template.name, block)
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", text), template.name
