"""History: idempotent appends under retries and overlaps, arbitrary rows stored as sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.support import Server, json_values

batches = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 25)),  # (first offset, length) of a re-send
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sends=batches)
def test_retries_and_overlaps_never_duplicate_or_lose_a_step(server: Server, sends: list) -> None:
    name, key = server.shared_user("hist")
    path = f"/runs/{name}/prop/{uuid.uuid4().hex[:10]}/history"
    seen: set[int] = set()
    for first, length in sends:
        offsets = range(first, first + length)
        body = {"records": [{"offset": o, "step": o, "data": {"v": o * 1.5}} for o in offsets]}
        answer = server.ok("POST", path, key, json=body)
        assert answer["inserted"] == len(set(offsets) - seen)
        seen |= set(offsets)
        assert answer["max_offset"] == max(seen)
    rows = server.ok("GET", path, key, params={"limit": 10_000})["rows"]
    assert sorted(r["v"] / 1.5 for r in rows) == sorted(seen)


def test_duplicate_offsets_inside_one_batch_count_once(server: Server, uid: str) -> None:
    name, key = server.new_user()
    body = {
        "records": [
            {"offset": 0, "step": 0, "data": {"a": 1}},
            {"offset": 0, "step": 0, "data": {"a": 2}},
        ]
    }
    path = f"/runs/{name}/p{uid}/r/history"
    assert server.ok("POST", path, key, json=body)["inserted"] == 1
    assert server.ok("GET", path, key)["rows"] == [{"a": 1}]


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.dictionaries(st.text(), json_values, max_size=6), step=st.integers(-(2**63), 2**63 - 1)
)
def test_any_json_row_is_stored_and_read_back(server: Server, data: dict, step: int) -> None:
    """Arbitrary keys (NUL included) and values, NaN included: stored, never a 500; text that is
    not valid Unicode and integers beyond 64 bits: refused with a 400."""
    name, key = server.shared_user("any")
    path = f"/runs/{name}/any/{uuid.uuid4().hex[:10]}/history"
    body = json.dumps({"records": [{"offset": 0, "step": step, "data": data}]})
    answer = server.send_text("POST", path, key, body)
    if not storable(data):
        assert answer.status_code == 400 and "offset 0: data" in answer.text, answer.text
        return
    assert answer.status_code == 200, answer.text
    rows = server.request("GET", path, key)
    assert rows.status_code == 200
    stored = json.loads(rows.text)["rows"][0]
    assert json.dumps(stored, sort_keys=True) == json.dumps(data, sort_keys=True)
    for params in ({"samples": 10}, {"samples": 10, "keys": ",".join(k for k in data if k)[:500]}):
        assert server.request("GET", path, key, params=params).status_code < 500


def storable(value: object) -> bool:
    """What the server stores: valid Unicode text and integers of at most 64 bits, at any depth."""
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return True


LONE = '"\\ud800"'  # a lone surrogate as JSON text: read by the json module, not pydantic's parser


@pytest.mark.parametrize("other", ['"fine"', LONE], ids=["one pass", "json module"])
@pytest.mark.parametrize(
    ("record", "named"),
    [
        ('{"offset": "3", "step": 0, "data": {}}', "records.1.offset='3'"),
        ('{"offset": 1, "step": 1.5, "data": {}}', "records.1.step=1.5"),
        ('{"offset": -1, "step": 0, "data": {}}', "records.1.offset=-1"),
        ('{"offset": 1, "step": 0, "data": [1]}', "records.1.data=list"),
        ('{"offset": 1, "step": 0}', "records.1.data"),
    ],
)
def test_history_fields_of_the_wrong_kind_are_400_naming_them(
    server: Server, uid: str, record: str, named: str, other: str
) -> None:
    name, key = server.new_user()
    server.ok("PUT", f"/runs/{name}/p{uid}/r", key, json={})
    first = '{"offset": 0, "step": 0, "data": {"s": ' + other + "}}"
    answer = post_text(server, key, f"/runs/{name}/p{uid}/r/history", [first, record])
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["error"]["message"]
    assert server.ok("GET", f"/runs/{name}/p{uid}/r", key)["history_count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[1, 2]",
        '{"records": {}}',
        b'{"records": ["\xff"]}',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_unreadable_history_bodies_are_400(server: Server, uid: str, body: str | bytes) -> None:
    name, key = server.new_user()
    answer = server.send_text("POST", f"/runs/{name}/p{uid}/r/history", key, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid"


def post_text(server: Server, key: str, path: str, records: list[str]) -> Any:
    body = '{"records": [' + ", ".join(records) + "]}"
    return server.send_text("POST", path, key, body)
