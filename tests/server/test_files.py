"""Run file names: bidirectional-text controls (which make a name read differently from what it
is, e.g. ``invoice\u202egpj.exe``) and other invisible controls are refused, naming the field."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.server.support import Server

BIDI = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = [*BIDI, "\u200e", "\u200f", "\u061c", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("mark", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_and_invisible_controls_in_file_names_are_refused(server: Server, mark: str) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p/r", key, json={})
    path = f"/runs/{name}/p/r/files/"
    bad = f"code/invoice{mark}gpj.exe"
    answer = server.request("PUT", path + quote(bad), key, content=b"x")
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert message.startswith("File name") and ascii(mark)[1:-1] in message
    assert server.request("GET", path + quote(bad), key).status_code == 400
    assert server.ok("GET", path.rstrip("/"), key) == []


def test_ordinary_unicode_file_names_are_kept(server: Server) -> None:
    name, key = server.new_user()
    path = f"/runs/{name}/p/r/files/"
    for good in ("données/résumé.txt", "模型/权重.bin", "שלום.txt", "emoji-👩‍💻.png"):
        assert server.ok("PUT", path + quote(good), key, content=b"x")["name"] == good
