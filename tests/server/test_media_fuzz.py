"""Fuzzing the media routes over a run that holds media, odd tables and hostile references: whatever
the key, step, sort, order, filter and page, never a 5xx (the schema fuzz in ``test_fuzz.py`` sends
the same routes to runs that do not exist)."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.server.accounts.store import new_key
from nbtrack.server.app import create_app
from nbtrack.server.bootstrap import ensure_admin
from nbtrack.server.config import ServerConfig

KEY = new_key()
RUN = "/api/v1/runs/admin/fuzz/r1"
ODD_TABLE = {
    "columns": ["n", "s", "m", "x"],
    "types": ["number"],
    "data": [
        [1, "a", {"_type": "image-file", "path": "../x"}, [1, 2]],
        [float("1e308"), None, {"caption": 5}, {"deep": {"er": [None]}}],
        [True, "ü\u0301", None],
        [],
        [-0.0, "", "str", 3, "extra"],
    ],
}
KEYS = ["img", "gal", "hist", "tab", "odd", "bad", "plot", "none", "ü", ""]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    app = create_app(ServerConfig(data_dir=str(tmp_path_factory.mktemp("media-fuzz"))))
    ensure_admin(app.state.context.db, "admin", KEY)
    with TestClient(app, headers={"Authorization": f"Bearer {KEY}"}) as test_client:
        seed(test_client)
        yield test_client
    app.state.context.db.dispose()


def put(client: Any, content: bytes, ext: str) -> str:
    name = f"media/{hashlib.sha256(content).hexdigest()}.{ext}"
    assert client.put(f"{RUN}/files/{name}", content=content).status_code == 200
    return name


def seed(client: Any) -> None:
    odd = put(client, json.dumps(ODD_TABLE).encode(), "table.json")
    bad = put(client, b"[1, 2", "table.json")
    image = {"_type": "image-file", "path": put(client, b"\x89PNG", "png"), "boxes": {"p": 1}}
    rows = [
        {
            "img": image,
            "gal": {"_type": "images/separated", "items": [image, None, {"path": 3}]},
            "hist": {"_type": "histogram", "bins": [0, 1, "x"][: 2 + step % 2], "values": [step]},
            "tab": {
                "_type": "table-file",
                "path": odd,
                "log_mode": "INCREMENTAL",
                "increment": step,
            },
            "odd": {"_type": "table-file", "path": odd},
            "bad": {"_type": "table-file", "path": bad},
            "plot": {"_type": "plot", "chart": "line", "table": {"_type": "table-file", "path": 7}},
            "ü": {"_type": "html-file", "path": "media/" + "0" * 64 + ".html"},
        }
        for step in range(4)
    ]
    records = [{"offset": i, "step": i * 3 - 2, "data": row} for i, row in enumerate(rows)]
    assert client.post(f"{RUN}/history", json={"records": records}).status_code == 200


PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "key": st.sampled_from(KEYS) | st.text(max_size=20),
        "step": st.integers(-(2**63), 2**63 - 1) | st.sampled_from(["x", "", "1.5"]),
        "sort": st.sampled_from(["n", "s", "m", "x", "zz", ""]) | st.text(max_size=5),
        "order": st.sampled_from(["asc", "desc", "up"]),
        "q": st.text(max_size=10),
        "offset": st.integers(-5, 20_000_000),
        "limit": st.integers(-1, 20_000),
        "samples": st.integers(-1, 3000),
    },
)


@pytest.mark.parametrize("route", ["", "/steps", "/at", "/histograms", "/table"])
def test_media_routes_never_fail(client: Any, route: str) -> None:
    @given(params=PARAMS)
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(params: dict[str, Any]) -> None:
        answer = client.get(f"{RUN}/media{route}", params=params)
        assert answer.status_code < 500, (params, answer.text)
        assert "error" in answer.json() or answer.status_code == 200

    check()
